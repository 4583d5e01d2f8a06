// Shared helpers for the hl7map engine tests: rule files from memory, messages, values by path.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/map.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace maptest {

// Rule files and CSV tables by name, as the loader sees them; records what was asked for.
struct Files {
    std::map<std::string, std::string, std::less<>> files;
    mutable std::vector<std::string> asked;

    hl7::map::IncludeLoader loader() const {
        return [this](std::string_view name) -> hl7::Result<std::string> {
            asked.emplace_back(name);
            auto it = files.find(name);
            if (it == files.end()) return hl7::make_error("not-found", "no such file");
            return it->second;
        };
    }
};

inline hl7::map::RuleSet rules(std::string_view text, const Files& files = {}) {
    auto r = hl7::map::read_rules(text, "rules.yaml", files.loader());
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().text));
    return *r;
}

// The error text of a rule file that must not read.
inline std::string rule_error(std::string_view text, const Files& files = {}, std::string_view name = "rules.yaml") {
    auto r = hl7::map::read_rules(text, name, files.loader());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad-rules");
    return r.error().text;
}

inline hl7::Message parsed(const std::string& text) {
    auto m = hl7::Message::parse_copy(text);
    REQUIRE(m.ok());
    return std::move(*m);
}

// The raw value at a path in the message (after apply), or "<absent>".
inline std::string raw(const hl7::Message& m, std::string_view path) {
    auto p = hl7::parse_path(path);
    REQUIRE_MESSAGE(p.ok(), path);
    std::vector<hl7::PathMatch> found;
    hl7::find_values(m, *p, found);
    if (found.empty()) return "<absent>";
    return std::string(found.front().raw);
}

// Applies rule text to message text; checks that no warning came; returns the message.
struct Mapped {
    hl7::Message message;
    hl7::map::MapOutcome outcome;
    std::string er7() const { return message.to_er7(); }
};

inline Mapped map_apply(std::string_view rule_text, const std::string& er7, const Files& files = {},
                    bool expect_ok = true, bool trace = false) {
    auto set = rules(rule_text, files);
    Mapped out{parsed(er7), {}};
    hl7::map::MapOptions options;
    options.trace = trace;
    out.outcome = hl7::map::Mapper(set).apply(out.message, options);
    if (expect_ok) {
        REQUIRE_MESSAGE(out.outcome.warnings.empty(),
                        (out.outcome.warnings.empty() ? std::string() : out.outcome.warnings.front().text));
    }
    return out;
}

}  // namespace maptest
