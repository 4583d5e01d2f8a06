// One file per message (hl7parse --split): names from a template, batches kept whole, nothing overwritten.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hl7/error.hpp"
#include "hl7/message.hpp"

namespace hl7::cli {

// A file name from `name_template` for the `index`-th file written (1-based, over all inputs):
// {index} (the file's number, 1-based, six digits), {control_id} (MSH-10.1), {type} (MSH-9.1_MSH-9.2) and {file}
// (the input's base name). Values are reduced to letters, digits, '.', '-' and '_' (others become
// '_'; an empty one "none"), so a name never climbs out of the folder or carries a separator.
std::string split_file_name(std::string_view name_template, std::uint64_t index, const Message* message,
                            std::string_view input_name);

// Checks a template: only the placeholders above, and no '/'; an error names what is wrong.
Status check_split_template(std::string_view name_template);

class SplitFiles {
public:
    explicit SplitFiles(std::string directory) : directory_(std::move(directory)) {}
    // Starts a new file `name` in the folder (created if missing), refusing to overwrite.
    Status open(const std::string& name);
    // Appends to the open file.
    Status write(std::string_view bytes);
    // Closes the open file, if any.
    Status close();
    bool is_open() const { return fd_ >= 0; }
    ~SplitFiles() { (void)close(); }

private:
    std::string directory_;
    std::string path_;
    int fd_ = -1;
};

}  // namespace hl7::cli
