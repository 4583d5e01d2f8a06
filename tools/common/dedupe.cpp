// The bounded window of ACKs behind --dedupe.
#include "common/dedupe.hpp"

#include <fmt/format.h>

namespace hl7::cli {

std::string DedupeWindow::key(std::string_view sending_application, std::string_view sending_facility,
                              std::string_view control_id) {
    if (sending_application.size() + sending_facility.size() + control_id.size() > kMaxKey) return {};
    return fmt::format("{}:{}{}:{}{}:{}", sending_application.size(), sending_application, sending_facility.size(),
                       sending_facility, control_id.size(), control_id);
}

std::optional<std::string_view> DedupeWindow::find(const std::string& key) const {
    if (key.empty()) return std::nullopt;
    auto it = acks_.find(key);
    if (it == acks_.end()) return std::nullopt;
    return std::string_view(it->second);
}

void DedupeWindow::remember(const std::string& key, std::string ack) {
    if (key.empty() || ack.size() > kMaxAck || capacity_ == 0) return;
    if (!acks_.emplace(key, std::move(ack)).second) return;
    order_.push_back(key);
    while (order_.size() > capacity_) {
        acks_.erase(order_.front());
        order_.pop_front();
    }
}

}  // namespace hl7::cli
