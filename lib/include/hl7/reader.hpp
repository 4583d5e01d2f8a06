// One message stream in: messages read from a ByteSource whatever form they come in, and parsed.
//
// The form is decided by the first bytes that are not blank (a UTF-8 byte order mark, CR, LF,
// space and tab are passed over), however the bytes arrive: `{` starts hl7json (NDJSON, or
// pretty-printed objects back to back: JsonObjectReader and message_from_json); anything else is
// ER7 (plain, MLLP-framed, FHS/BHS batches: MessageReader). Every tool reads through this, so all
// of them accept the same input and report the same problems in the same places.
//
// Each entry is a message, batch lines alone, or input that is not a usable message (then
// problem() says why, and reading goes on: one bad message never ends the stream).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hl7/error.hpp"
#include "hl7/json.hpp"
#include "hl7/message.hpp"
#include "hl7/stream.hpp"

namespace hl7 {

enum class InputForm : std::uint8_t { unknown, er7, json };

// The "source" member of a JSON object (hl7parse writes where each message came from).

// Places a diagnostic found in an ER7 entry's message in the stream: an offset within the message
// moves by the entry's offset; one that names only a segment gets that segment's offset.
void place_in_stream(Diagnostic& diagnostic, const StreamItem& item, const Message* message);

class MessageStream {
public:
    explicit MessageStream(ByteSource& source, ReaderOptions options = {});
    MessageStream(const MessageStream&) = delete;
    MessageStream& operator=(const MessageStream&) = delete;

    // Moves to the next entry. False at the end of input, or after a read error (see error()).
    bool next();

    // Where the entry is, its batch lines, and its notes. For JSON input, text and batch lines are
    // ER7 rebuilt from the object, and index, offset and line are the object's. Views stay valid
    // until the next call.
    const StreamItem& item() const { return item_; }
    // The parsed message, or null: batch lines alone, or see problem(). Its storage is reused from
    // entry to entry; for ER7 it views the input buffer (no copy), so it too lasts until next().
    Message* message() { return has_message_ ? &message_ : nullptr; }
    // Why the entry has no message: text that is not a message, unusable delimiters, a message
    // too large, an object that is not hl7json. Placed at the entry in the stream. Null otherwise.
    const Diagnostic* problem() const { return problem_ ? &*problem_ : nullptr; }
    // Notes and warnings about the entry, in order: skipped bytes and repairs on the way in, then
    // the message's parse notes (characters JSON could not map first, for JSON input). For ER7
    // they are placed in the stream (byte offsets from its start); for JSON, at the object or by path.
    const Diagnostics& notes() const { return item_.notes; }
    bool from_json() const { return form_ == InputForm::json; }
    // What the first bytes say the input is when it is not HL7 text ("gzip", "zip", "bzip2", "xz",
    // "zstd", "PDF", "UTF-16", "UTF-32"), or empty. Known after the first next(); the stream still
    // reads the bytes as ER7 (and reports them as text that is not a message).
    std::string_view binary_kind() const { return binary_kind_; }
    // The object's "source" member, when it had one (JSON input only).
    const std::optional<JsonOrigin>& json_origin() const { return json_origin_; }
    // Unknown until the first call to next().
    InputForm form() const { return form_; }
    // The read error that ended the stream early, if one did.
    const std::optional<Diagnostic>& error() const { return error_; }

private:
    // Serves the bytes read to decide the form, then reads on from the source.
    class Replay final : public ByteSource {
    public:
        explicit Replay(ByteSource& source) : source_(source) {}
        ReadResult read(char* buffer, std::size_t capacity) override;
        ReadResult read_source(char* buffer, std::size_t capacity) { return source_.read(buffer, capacity); }
        std::string prefix;
        std::size_t served = 0;
        int pending_error = 0;  // met while deciding: handed out after the prefix

    private:
        ByteSource& source_;
    };

    void decide_form();
    bool next_er7();
    bool next_json();
    bool next_json_value(JsonObjectText& object);

    Replay replay_;
    ReaderOptions options_;
    InputForm form_ = InputForm::unknown;
    std::string_view binary_kind_;
    std::optional<MessageReader> er7_;
    std::optional<JsonObjectReader> json_;

    StreamItem item_;
    Message message_;
    bool has_message_ = false;
    std::optional<Diagnostic> problem_;
    std::optional<JsonOrigin> json_origin_;
    std::vector<std::string> array_;  // the elements of a JSON array being handed out
    std::size_t array_next_ = 0;
    JsonObjectText array_at_;
    std::optional<Diagnostic> error_;
    Diagnostics parse_notes_;
    std::uint64_t json_index_ = 0;
    std::string json_text_;  // the ER7 rebuilt from the current object (message_ views it)
    std::vector<std::string> json_header_, json_trailer_;
};

}  // namespace hl7
