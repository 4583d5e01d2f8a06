// Report writers for hl7validate; findings never show message values unless asked to.
#include "report.hpp"

#include <fmt/format.h>

#include <map>

#include "hl7/charset.hpp"
#include "hl7/json.hpp"

namespace hl7::cli {

namespace {

// A finding's value as valid UTF-8: bytes that are not (a value taken raw from a message in
// another charset, or broken) are written as \Xhh\, as the JSON form does.
std::string shown(std::string_view value) {
    std::string out;
    append_as_utf8(out, value, Charset::utf8, '\\');
    return out;
}

class HumanWriter final : public ReportWriter {
public:
    explicit HumanWriter(bool show_values) : show_values_(show_values) {}
    void message(const MessageReport& r, std::string& out) override {
        if (!r.unparseable.empty()) return;  // already on stderr, from the input loop
        for (std::size_t i = 0; i < r.findings->size(); ++i) {
            const Finding& f = (*r.findings)[i];
            std::string path = finding_path(f);
            out += fmt::format("{}:message {}:{}{} {}: {}", r.file, r.index, path, path.empty() ? "" : ":",
                               severity_name(f.severity), f.text);
            if (show_values_ && !f.value.empty()) out += fmt::format(" '{}'", shown(f.value));
            out += fmt::format(" [{}]", f.code);
            if (r.finding_lines[i]) out += fmt::format(" (line {})", r.finding_lines[i]);
            out += '\n';
        }
    }

private:
    bool show_values_;
};

class JsonWriter final : public ReportWriter {
public:
    explicit JsonWriter(bool show_values) : show_values_(show_values) {}
    void message(const MessageReport& r, std::string& out) override {
        out += "{\"file\":";
        append_json_string(out, r.file);
        out += fmt::format(",\"message\":{},\"offset\":{},\"line\":{}", r.index, r.offset, r.line);
        if (!r.unparseable.empty()) {
            out += ",\"valid\":false,\"unparseable\":";
            append_json_string(out, r.unparseable);
            out += ",\"findings\":[]}\n";
            return;
        }
        out += ",\"type\":";
        append_json_string(out, r.type);
        out += ",\"control_id\":";
        append_json_string(out, r.control_id);
        out += fmt::format(",\"valid\":{},\"findings\":[", r.valid ? "true" : "false");
        for (std::size_t i = 0; i < r.findings->size(); ++i) {
            const Finding& f = (*r.findings)[i];
            if (i) out += ',';
            out += "{\"path\":";
            append_json_string(out, finding_path(f));
            out += fmt::format(",\"code\":{},\"severity\":\"{}\",\"rule\":", f.code, severity_name(f.severity));
            append_json_string(out, f.rule);
            out += ",\"text\":";
            append_json_string(out, f.text);
            if (show_values_ && !f.value.empty()) {
                out += ",\"value\":";
                append_json_string(out, shown(f.value));
            }
            out += fmt::format(",\"offset\":{},\"line\":{}}}", r.finding_offsets[i], r.finding_lines[i]);
        }
        out += "]}\n";
    }

private:
    bool show_values_;
};

std::string xml_escaped(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 cannot hold most control characters, even escaped.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
                else out += c;
        }
    }
    return out;
}

// One test suite per input file, one test case per message: what CI dashboards show.
class JunitWriter final : public ReportWriter {
public:
    explicit JunitWriter(bool show_values) : show_values_(show_values) {}
    void message(const MessageReport& r, std::string&) override {
        Suite& suite = suite_for(r.file);
        ++suite.tests;
        std::string name = r.control_id.empty() ? fmt::format("message {}", r.index)
                                                : fmt::format("message {} ({})", r.index, r.control_id);
        std::string& x = suite.cases;
        x += fmt::format("    <testcase classname=\"{}\" name=\"{}\">\n", xml_escaped(r.file), xml_escaped(name));
        if (!r.unparseable.empty()) {
            ++suite.errors;
            x += fmt::format("      <error message=\"{}\"/>\n", xml_escaped(r.unparseable));
        } else if (!r.valid) {
            ++suite.failures;
            const Finding* first = nullptr;
            for (const Finding& f : *r.findings)
                if (f.severity == Severity::error && !first) first = &f;
            std::string summary = first ? fmt::format("{}: {} [{}]", finding_path(*first), first->text, first->code)
                                        : std::string("invalid (errors not shown: --max-errors)");
            x += fmt::format("      <failure message=\"{}\">", xml_escaped(summary));
            x += xml_escaped(details(r));
            x += "</failure>\n";
        } else if (!r.findings->empty()) {
            x += "      <system-out>" + xml_escaped(details(r)) + "</system-out>\n";
        }
        x += "    </testcase>\n";
    }
    void finish(std::string& out) override {
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hl7validate\">\n";
        for (const Suite& s : suites_) {
            out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                               xml_escaped(s.name), s.tests, s.failures, s.errors);
            out += s.cases;
            out += "  </testsuite>\n";
        }
        out += "</testsuites>\n";
    }

private:
    struct Suite {
        std::string name;
        std::string cases;
        std::uint64_t tests = 0, failures = 0, errors = 0;
    };
    Suite& suite_for(std::string_view file) {
        if (suites_.empty() || suites_.back().name != file) suites_.push_back(Suite{std::string(file), {}, 0, 0, 0});
        return suites_.back();
    }
    std::string details(const MessageReport& r) const {
        std::string text;
        for (std::size_t i = 0; i < r.findings->size(); ++i) {
            const Finding& f = (*r.findings)[i];
            text += fmt::format("{}: {}: {}", finding_path(f), severity_name(f.severity), f.text);
            if (show_values_ && !f.value.empty()) text += fmt::format(" '{}'", shown(f.value));
            text += fmt::format(" [{}]\n", f.code);
        }
        return text;
    }
    bool show_values_;
    std::vector<Suite> suites_;
};

// GitHub Actions workflow commands: ::error file=F,line=L,title=T::message
std::string github_escaped(std::string_view s, bool property) {
    std::string out;
    for (char c : s) {
        if (c == '%') out += "%25";
        else if (c == '\r') out += "%0D";
        else if (c == '\n') out += "%0A";
        else if (property && c == ':') out += "%3A";
        else if (property && c == ',') out += "%2C";
        else out += c;
    }
    return out;
}

class GithubWriter final : public ReportWriter {
public:
    explicit GithubWriter(bool show_values) : show_values_(show_values) {}
    void message(const MessageReport& r, std::string& out) override {
        if (!r.unparseable.empty()) {
            out += fmt::format("::error file={},line={},title={}::message {}: {}\n", github_escaped(r.file, true),
                               r.line, github_escaped("hl7validate: unparseable", true), r.index,
                               github_escaped(r.unparseable, false));
            return;
        }
        for (std::size_t i = 0; i < r.findings->size(); ++i) {
            const Finding& f = (*r.findings)[i];
            const char* kind = f.severity == Severity::error ? "error" : f.severity == Severity::warning ? "warning"
                                                                                                         : "notice";
            std::string text = fmt::format("message {}: {}: {}", r.index, finding_path(f), f.text);
            if (show_values_ && !f.value.empty()) text += fmt::format(" '{}'", shown(f.value));
            out += fmt::format("::{} file={},line={},title={}::{}\n", kind, github_escaped(r.file, true),
                               r.finding_lines[i], github_escaped(fmt::format("HL7 {} [{}]", f.rule, f.code), true),
                               github_escaped(text, false));
        }
    }

private:
    bool show_values_;
};

}  // namespace

std::unique_ptr<ReportWriter> make_report_writer(const std::string& format, bool show_values) {
    if (format == "json") return std::make_unique<JsonWriter>(show_values);
    if (format == "junit") return std::make_unique<JunitWriter>(show_values);
    if (format == "github") return std::make_unique<GithubWriter>(show_values);
    return std::make_unique<HumanWriter>(show_values);
}

}  // namespace hl7::cli
