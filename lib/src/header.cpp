// Reading MSH into header facts, and the one HL7 version parser.
#include "hl7/header.hpp"

#include <array>

#include <vector>

namespace hl7 {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void add_adjustment(std::string& list, std::string_view what) {
    if (!list.empty()) list += ", ";
    list += what;
}

}  // namespace

VersionReading read_version(std::string_view text) {
    VersionReading r;
    const std::size_t written = text.size();
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.size() != written) add_adjustment(r.adjustments, "spaces trimmed");
    if (text.empty()) {
        r.problem = "is empty";
        return r;
    }
    if (text.size() > 1 && (text[0] == 'v' || text[0] == 'V') && is_digit(text[1])) {
        add_adjustment(r.adjustments, std::string("'") + text[0] + "' dropped");
        text.remove_prefix(1);
    }
    // The demo release of 1990.
    if (text == "2.0D" || text == "2.0d") {
        r.version = VersionId{2, 0, 0, "2.0D"};
        return r;
    }
    std::vector<std::string_view> parts;
    for (std::string_view rest = text;;) {
        std::size_t n = 0;
        while (n < rest.size() && is_digit(rest[n])) ++n;
        if (n == 0) {
            r.problem = "is not an HL7 version";
            return r;
        }
        parts.push_back(rest.substr(0, n));
        if (n == rest.size()) break;
        if (rest[n] != '.') {
            r.problem = "is not an HL7 version";
            return r;
        }
        rest.remove_prefix(n + 1);
    }
    auto is_zero = [](std::string_view p) { return p.find_first_not_of('0') == std::string_view::npos; };
    // A trailing ".0" beyond major.minor adds nothing: 2.3.0 is 2.3.
    std::size_t keep = parts.size();
    while (keep > 2 && is_zero(parts[keep - 1])) --keep;
    if (keep < parts.size()) add_adjustment(r.adjustments, "trailing .0 dropped");
    parts.resize(keep);
    if (parts.size() < 2) {
        r.problem = "has no minor version";
        return r;
    }
    // Version numbers are small: a part of more than two digits, a leading zero, or a part beyond
    // major.minor.patch makes the value malformed.
    if (parts.size() > 3) {
        r.problem = "is not a known HL7 version";
        return r;
    }
    VersionId v;
    int* slots[] = {&v.major, &v.minor, &v.patch};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string_view p = parts[i];
        if (p.size() > 2 || (p.size() == 2 && p[0] == '0')) {
            r.problem = "is not a known HL7 version";
            return r;
        }
        for (char c : p) *slots[i] = *slots[i] * 10 + (c - '0');
        if (!v.text.empty()) v.text += '.';
        v.text += p;
    }
    r.version = std::move(v);
    return r;
}

std::string_view header_component(std::string_view segment_text, const Delimiters& d, int field, int component) {
    auto f = field_text(segment_text, d, field);
    if (!f) return {};
    if (is_header_segment(segment_text, d.field) && field <= 2) return component == 1 ? *f : std::string_view();
    std::string_view rep = nth_part(*f, d.repetition, 1).value_or(*f);
    return nth_part(rep, d.component, component).value_or(std::string_view());
}

namespace {

// The charset MSH-18 names, given the first component of its first repetition.
DeclaredCharset charset_of_component(std::string_view first, const Delimiters& d) {
    DeclaredCharset result;
    std::string_view name = nth_part(first, d.subcomponent, 1).value_or(first);
    result.name = name;
    if (auto c = charset_from_name(name)) {
        result.charset = *c;
    } else {
        result.charset = Charset::utf8;
        result.known = false;
    }
    return result;
}

DeclaredCharset charset_of(std::string_view msh, const Delimiters& d) {
    return charset_of_component(header_component(msh, d, 18, 1), d);
}

bool starts_with_msh(const Message& m) { return !m.empty() && m.segment_id(0) == "MSH"; }

}  // namespace

DeclaredCharset declared_charset(const Message& m) {
    if (!starts_with_msh(m)) return {};
    return charset_of(m.segment(0), m.delimiters());
}

Header read_header(const Message& m) {
    Header h;
    if (!starts_with_msh(m)) return h;
    const Delimiters& d = m.delimiters();
    std::string_view msh = m.segment(0);
    // MSH split once into its fields (part N of the segment is MSH-N): asking for each field from
    // the start of the segment walked it eighteen times, a quarter of a receiver's time per message.
    constexpr int kLastField = 18;
    std::array<std::optional<std::string_view>, kLastField + 1> fields{};
    {
        std::size_t start = 0;
        for (int part = 1; part <= kLastField; ++part) {
            std::size_t end = msh.find(d.field, start);
            std::size_t size = (end == std::string_view::npos ? msh.size() : end) - start;
            fields[static_cast<std::size_t>(part)] = msh.substr(start, size);
            if (end == std::string_view::npos) break;
            start = end + 1;
        }
    }
    auto field_of = [&](int field) { return fields[static_cast<std::size_t>(field)].value_or(std::string_view()); };
    auto component_of = [&](int field, int component) -> std::string_view {
        const auto& f = fields[static_cast<std::size_t>(field)];
        if (!f) return {};
        std::string_view rep = nth_part(*f, d.repetition, 1).value_or(*f);
        return nth_part(rep, d.component, component).value_or(std::string_view());
    };
    auto designator = [&](int field) {
        Designator x;
        x.field = field_of(field);
        x.namespace_id = component_of(field, 1);
        return x;
    };
    h.sending_application = designator(3);
    h.sending_facility = designator(4);
    h.receiving_application = designator(5);
    h.receiving_facility = designator(6);
    h.timestamp = component_of(7, 1);
    h.message_type = field_of(9);
    h.type = component_of(9, 1);
    h.event = component_of(9, 2);
    h.structure = component_of(9, 3);
    h.control_id = component_of(10, 1);
    h.processing_id = component_of(11, 1);
    h.processing_mode = component_of(11, 2);
    h.version_text = component_of(12, 1);
    h.version = read_version(h.version_text).version;
    h.accept_ack_type = component_of(15, 1);
    h.application_ack_type = component_of(16, 1);
    h.charset = charset_of_component(component_of(18, 1), d);
    return h;
}

}  // namespace hl7
