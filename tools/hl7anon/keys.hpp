// Where hl7anon's secret comes from (a key file, the environment, or a random key for one run),
// and writing a new key file: never from the command line, where ps and shell history would see it.
#pragma once

#include <string>

#include "hl7/error.hpp"
#include "hl7/pseudonym.hpp"

namespace hl7::anon_tool {

struct LoadedKey {
    AnonKey key;
    std::string origin;         // "key file F", "HL7ANON_KEY", "a random key for this run"
    bool random = false;        // pseudonyms then differ from one run to the next
    bool world_readable = false;  // the key file can be read by every user
};

// The key, from the first of: `key_file` (non-empty), the file HL7ANON_KEY_FILE names, the key text
// in HL7ANON_KEY, a fresh random key. Error texts name the file, never the key. `env_key` and
// `env_key_file` are the environment's values (null when unset): the caller reads the environment.
Result<LoadedKey> load_key(const std::string& key_file, const char* env_key, const char* env_key_file);

// Writes a new key to `path` (created with mode 0600; an existing file is never overwritten), or to
// standard output when `path` is "-" or empty.
Status write_new_key(const std::string& path);

}  // namespace hl7::anon_tool
