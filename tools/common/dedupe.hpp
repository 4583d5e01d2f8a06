// Duplicate suppression for a receiver: the ACKs of the last N messages stored, by sender and control ID.
//
// A message is known by its MSH-3, MSH-4 and MSH-10 as written. DedupeWindow remembers the ACK sent
// for each of the last `capacity` messages remembered, oldest forgotten first, so memory stays
// bounded: at most capacity * (kMaxKey + kMaxAck) bytes of keys and ACKs. A key or ACK over its
// limit is not remembered (its message is treated as new when it comes again): a sender cannot
// make the window grow by sending huge header fields.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hl7::cli {

class DedupeWindow {
public:
    static constexpr std::size_t kMaxKey = 512;    // MSH-3 + MSH-4 + MSH-10 bytes
    static constexpr std::size_t kMaxAck = 4096;   // bytes of one ACK kept

    explicit DedupeWindow(std::size_t capacity) : capacity_(capacity) {}

    // The key of a message: its three fields, each prefixed by its length so that no two different
    // triples give the same key. Empty when the key would be longer than kMaxKey.
    static std::string key(std::string_view sending_application, std::string_view sending_facility,
                           std::string_view control_id);

    // The ACK remembered for `key` (empty string: the message was answered with nothing), or
    // nullopt when it is not in the window. An empty key is never found.
    std::optional<std::string_view> find(const std::string& key) const;

    // Remembers `ack` for `key`, forgetting the oldest entry when full. A key already in the window
    // keeps its first ACK and its place; an empty key or an ACK over kMaxAck is not remembered.
    void remember(const std::string& key, std::string ack);

    std::size_t size() const { return acks_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    std::unordered_map<std::string, std::string> acks_;
    std::deque<std::string> order_;  // keys, oldest first
};

}  // namespace hl7::cli
