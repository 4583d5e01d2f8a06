// Diagnostics and results as values: the library reports problems here and never prints or exits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hl7 {

enum class Severity : std::uint8_t { note, warning, error };

const char* severity_name(Severity severity);

// Where a finding is. Every member is optional: 0 and "" mean "not known".
struct Location {
    std::uint64_t message_index = 0;  // 1-based position of the message in its stream
    std::uint32_t segment_index = 0;  // 1-based position of the segment in its message
    std::string segment_id;           // "PID"
    std::string path;                 // "PID-7", "OBX[2]-5.1"
    std::uint64_t byte_offset = 0;    // offset in the input stream (see has_offset)
    std::uint64_t line = 0;           // 1-based line in the input stream
    bool has_offset = false;
};

// One finding. `text` never contains message content; a value that would help the reader goes
// to `value`, which tools show only when the user asks for it (patient data).
struct Diagnostic {
    Severity severity = Severity::error;
    std::string code;  // stable short identifier, e.g. "bad-escape", "invalid-byte"
    std::string text;
    Location where;
    std::string value;
};

using Diagnostics = std::vector<Diagnostic>;

// A value or the diagnostic explaining why there is none (LLVM's Expected, without exceptions).
// [[nodiscard]]: dropping a Result drops an error on the floor.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Diagnostic error) : state_(std::move(error)) {}  // NOLINT

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(state_); }
    const T& value() const { return std::get<0>(state_); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Diagnostic& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Diagnostic> state_;
};

// Success, or the diagnostic saying why not: for operations that return nothing else. Unlike an
// optional<Diagnostic>, where an empty value meant success, `if (status)` reads the right way round.
class [[nodiscard]] Status {
public:
    Status() = default;  // success
    Status(Diagnostic error) : error_(std::move(error)) {}  // NOLINT: implicit by design
    static Status success() { return {}; }

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const Diagnostic& error() const { return *error_; }

private:
    std::optional<Diagnostic> error_;
};

inline Diagnostic make_error(std::string code, std::string text, Location where = {}) {
    Diagnostic d;
    d.severity = Severity::error;
    d.code = std::move(code);
    d.text = std::move(text);
    d.where = std::move(where);
    return d;
}

}  // namespace hl7
