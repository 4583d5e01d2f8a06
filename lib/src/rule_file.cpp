// Rule files: YAML (yaml-cpp's event parser) and strict JSON (nlohmann's SAX parser) into one tree
// of Nodes with lines, and the helpers every rule reader uses.
//
// Why events rather than YAML::Load and a JSON document: both parsers then feed one tree builder,
// which is the one place that refuses duplicate keys, deep nesting and alias bombs. JSON no longer
// passes through yaml-cpp (which refuses valid JSON such as surrogate-pair escapes, and would
// accept invalid JSON), yet its values still get lines.
#include "rule_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace hl7::rule_file {

const Node* Node::find(std::string_view key) const {
    for (const Entry& e : entries)
        if (e.key.kind == Kind::scalar && e.key.text == key) return &e.value;
    return nullptr;
}

Diagnostic error_at(const Origin& origin, std::uint64_t line, std::string_view text) {
    std::string shown;
    shown.reserve(text.size());
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) shown += fmt::format("\\x{:02X}", byte);
        else shown.push_back(c);
    }
    Diagnostic d = make_error(std::string(origin.code),
                              line ? fmt::format("{} '{}', line {}: {}", origin.kind, origin.name, line, shown)
                                   : fmt::format("{} '{}': {}", origin.kind, origin.name, shown));
    d.where.line = line;
    return d;
}

void fail(const Node& at, const std::string& text) { throw RuleError(at.line, text); }

namespace {

std::size_t count_values(const Node& node) {
    std::size_t n = 1;
    for (const Node& item : node.items) n += count_values(item);
    for (const Entry& e : node.entries) n += count_values(e.key) + count_values(e.value);
    return n;
}

// Builds the tree from parser events, whichever parser sends them. Anchors are YAML's (0: none).
class TreeBuilder {
public:
    void null(std::uint64_t line, std::size_t anchor) {
        // yaml-cpp marks an empty value (`key:` and nothing) where the next token is, often lines
        // later; the key's line is where the reader of an error should look.
        if (!open_.empty() && open_.back().node->kind == Node::Kind::map && !open_.back().want_key) {
            std::uint64_t key_line = open_.back().node->entries.back().key.line;
            if (key_line > 0 && line > key_line) line = key_line;
        }
        completed(start(Node::Kind::null, line), anchor);
    }

    void scalar(std::uint64_t line, std::string text, std::size_t anchor) {
        Node& node = start(Node::Kind::scalar, line);
        node.text = std::move(text);
        completed(node, anchor);
    }

    void open(Node::Kind kind, std::uint64_t line, std::size_t anchor) {
        if (open_.size() >= kMaxDepth)
            throw RuleError(line, fmt::format("values nested more than {} levels deep", kMaxDepth));
        Node& node = start(kind, line);
        open_.push_back(Open{&node, anchor, true, {}});
    }

    void close() {
        Open top = std::move(open_.back());
        open_.pop_back();
        completed(*top.node, top.anchor);
    }

    void alias(std::uint64_t line, std::size_t anchor) {
        auto it = anchors_.find(anchor);
        if (it == anchors_.end())
            throw RuleError(line, "an alias inside the value its anchor names (a value cannot contain itself)");
        alias_values_ += count_values(it->second);
        if (alias_values_ > kMaxAliasValues)
            throw RuleError(line, fmt::format("aliases expand to more than {} values", kMaxAliasValues));
        // The copy keeps the lines of the anchored value: that is where its text is written.
        Node& node = start(it->second.kind, line);
        node = it->second;
        completed(node, 0);
    }

    Node take_root() { return std::move(root_); }

private:
    struct Open {
        Node* node;  // stays valid: its parent's containers grow only after it is closed
        std::size_t anchor;
        bool want_key;                                      // a mapping: the next value is a key
        std::map<std::string, std::uint64_t, std::less<>> keys;  // a mapping's scalar keys and their lines
    };

    Node& start(Node::Kind kind, std::uint64_t line) {
        Node* node = &root_;
        if (!open_.empty()) {
            Open& parent = open_.back();
            if (parent.node->kind == Node::Kind::sequence) {
                node = &parent.node->items.emplace_back();
            } else if (parent.want_key) {
                node = &parent.node->entries.emplace_back().key;
            } else {
                node = &parent.node->entries.back().value;
            }
        }
        node->kind = kind;
        node->line = line;
        return *node;
    }

    void completed(const Node& node, std::size_t anchor) {
        if (anchor != 0) anchors_[anchor] = node;
        if (open_.empty() || open_.back().node->kind != Node::Kind::map) return;
        Open& parent = open_.back();
        if (parent.want_key && node.kind == Node::Kind::scalar) {
            auto [it, added] = parent.keys.try_emplace(node.text, node.line);
            if (!added)
                throw RuleError(node.line,
                                fmt::format("duplicate key '{}' (first given on line {})", node.text, it->second));
        }
        parent.want_key = !parent.want_key;
    }

    Node root_;
    std::vector<Open> open_;
    std::map<std::size_t, Node> anchors_;
    std::size_t alias_values_ = 0;
};

// --- YAML ---------------------------------------------------------------------------------------

std::uint64_t line_of(const YAML::Mark& mark) { return mark.line >= 0 ? static_cast<std::uint64_t>(mark.line) + 1 : 0; }

class YamlEvents final : public YAML::EventHandler {
public:
    explicit YamlEvents(TreeBuilder& builder) : builder_(builder) {}

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { builder_.null(line_of(mark), anchor); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override { builder_.alias(line_of(mark), anchor); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  const std::string& value) override {
        builder_.scalar(line_of(mark), value, anchor);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        builder_.open(Node::Kind::sequence, line_of(mark), anchor);
    }
    void OnSequenceEnd() override { builder_.close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        builder_.open(Node::Kind::map, line_of(mark), anchor);
    }
    void OnMapEnd() override { builder_.close(); }

private:
    TreeBuilder& builder_;
};

// A second document is refused rather than ignored: its rules would silently not apply.
class SecondDocument final : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark& mark) override {
        throw RuleError(line_of(mark), "a second YAML document ('---'): a rule file is one document");
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// Line `line` (1-based) of the text starts with whitespace that holds a tab.
bool tab_in_indentation(std::string_view text, std::uint64_t line) {
    std::size_t start = 0;
    for (std::uint64_t n = 1; n < line; ++n) {
        start = text.find('\n', start);
        if (start == std::string_view::npos) return false;
        ++start;
    }
    for (std::size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i)
        if (text[i] == '\t') return true;
    return false;
}

Node load_yaml(std::string_view text) {
    std::istringstream in{std::string(text)};
    try {
        YAML::Parser parser(in);
        TreeBuilder builder;
        YamlEvents events(builder);
        if (!parser.HandleNextDocument(events)) return Node{};  // empty, or comments only
        SecondDocument second;
        parser.HandleNextDocument(second);
        return builder.take_root();
    } catch (const YAML::Exception& e) {
        std::uint64_t line = line_of(e.mark);
        // yaml-cpp's own words for a tab ("illegal map value", ...) do not say what is wrong.
        std::string hint = line && tab_in_indentation(text, line) ? " (a tab in the indentation: YAML indents with "
                                                                    "spaces only)"
                                                                  : "";
        throw RuleError(line, fmt::format("invalid YAML: {}{}", e.msg, hint));
    }
}

// --- JSON ---------------------------------------------------------------------------------------

// Walks the text for nlohmann and records how far it has read, so that events get lines.
class TrackedIterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    TrackedIterator(const char* at, const char* begin, std::size_t* furthest)
        : at_(at), begin_(begin), furthest_(furthest) {}
    reference operator*() const { return *at_; }
    TrackedIterator& operator++() {
        ++at_;
        *furthest_ = std::max(*furthest_, static_cast<std::size_t>(at_ - begin_));
        return *this;
    }
    TrackedIterator operator++(int) {
        TrackedIterator before = *this;
        ++*this;
        return before;
    }
    bool operator==(const TrackedIterator& other) const { return at_ == other.at_; }

private:
    const char* at_;
    const char* begin_;
    std::size_t* furthest_;
};

std::uint64_t line_at(std::string_view text, std::size_t byte) {
    byte = std::min(byte, text.size());
    auto end = text.begin() + static_cast<std::ptrdiff_t>(byte);
    return 1 + static_cast<std::uint64_t>(std::count(text.begin(), end, '\n'));
}

class JsonEvents final : public nlohmann::json_sax<nlohmann::json> {
public:
    JsonEvents(std::string_view text, TreeBuilder& builder) : text_(text), builder_(builder) {}
    std::size_t* furthest() { return &furthest_; }

    bool null() override {
        builder_.null(line(), 0);
        return true;
    }
    bool boolean(bool value) override { return scalar(value ? "true" : "false"); }
    bool number_integer(number_integer_t value) override { return scalar(std::to_string(value)); }
    bool number_unsigned(number_unsigned_t value) override { return scalar(std::to_string(value)); }
    bool number_float(number_float_t, const string_t& written) override { return scalar(written); }
    bool string(string_t& value) override { return scalar(std::move(value)); }
    bool binary(binary_t&) override { return false; }  // JSON text has none
    bool start_object(std::size_t) override { return open(Node::Kind::map); }
    bool key(string_t& value) override { return scalar(std::move(value)); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(Node::Kind::sequence); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ..." -> the reason.
        std::string what = e.what();
        std::size_t colon = what.find(": ");
        std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
        throw RuleError(line_at(text_, position > 0 ? position - 1 : 0), fmt::format("invalid JSON: {}", reason));
    }

private:
    bool scalar(std::string text) {
        builder_.scalar(line(), std::move(text), 0);
        return true;
    }
    bool open(Node::Kind kind) {
        builder_.open(kind, line(), 0);
        return true;
    }
    bool close() {
        builder_.close();
        return true;
    }

    // The line of the token just read: that of the last non-blank byte read so far. nlohmann reads
    // at most one byte past a token (after a number), and never past a blank into the next token.
    std::uint64_t line() {
        std::size_t end = std::min(furthest_, text_.size());
        while (end > 0 && (text_[end - 1] == ' ' || text_[end - 1] == '\t' || text_[end - 1] == '\n' ||
                           text_[end - 1] == '\r'))
            --end;
        std::size_t last = end > 0 ? end - 1 : 0;
        // Tokens only move forward: count newlines incrementally.
        for (; counted_ < last; ++counted_) newlines_ += text_[counted_] == '\n';
        return 1 + newlines_;
    }

    std::string_view text_;
    TreeBuilder& builder_;
    std::size_t furthest_ = 0;
    std::size_t counted_ = 0;
    std::uint64_t newlines_ = 0;
};

Node load_json(std::string_view text) {
    TreeBuilder builder;
    JsonEvents events(text, builder);
    TrackedIterator first(text.data(), text.data(), events.furthest());
    TrackedIterator last(text.data() + text.size(), text.data(), events.furthest());
    // Strict: no comments, and nothing after the value. Errors throw from parse_error.
    if (!nlohmann::json::sax_parse(first, last, &events, nlohmann::json::input_format_t::json, true, false))
        throw RuleError(0, "invalid JSON");
    return builder.take_root();
}

std::string join_choices(std::span<const std::string_view> names) {
    std::string s;
    std::size_t i = 0;
    for (auto name : names) {
        if (i > 0) s += i + 1 == names.size() ? " or " : ", ";
        s += name;
        ++i;
    }
    return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return lower(x) == lower(y);
           });
}

}  // namespace

Result<Node> load(std::string_view text, Format format, const Origin& origin) {
    try {
        return format == Format::json ? load_json(text) : load_yaml(text);
    } catch (const RuleError& e) {
        return error_at(origin, e.line(), e.what());
    }
}

const std::string& scalar(const Node& node, std::string_view what) {
    if (!node.is_scalar()) fail(node, fmt::format("{}: expected a single value", what));
    return node.text;
}

const Node& expect_map(const Node& node, std::string_view text) {
    if (!node.is_map()) fail(node, std::string(text));
    return node;
}

const Node& expect_sequence(const Node& node, std::string_view text) {
    if (!node.is_sequence()) fail(node, std::string(text));
    return node;
}

std::vector<const Node*> one_or_more(const Node& node) {
    std::vector<const Node*> nodes;
    if (node.is_sequence()) {
        for (const Node& item : node.items) nodes.push_back(&item);
    } else {
        nodes.push_back(&node);
    }
    return nodes;
}

void check_keys(const Node& map, std::string_view what, std::initializer_list<std::string_view> keys) {
    for (const Entry& e : map.entries) {
        std::string_view key = e.key.is_scalar() ? std::string_view(e.key.text) : std::string_view();
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            std::string known;
            for (auto k : keys) {
                if (!known.empty()) known += ", ";
                known += k;
            }
            fail(e.key, fmt::format("unknown key '{}' in {} (expected one of: {})", key, what, known));
        }
    }
}

int integer(const Node& node, std::string_view what, int low, int high) {
    const std::string& s = scalar(node, what);
    std::string_view digits = s;
    bool negative = low < 0 && !digits.empty() && digits.front() == '-';
    if (negative) digits.remove_prefix(1);
    long value = 0;
    bool ok = !digits.empty() && digits.size() <= 9;
    for (std::size_t i = 0; ok && i < digits.size(); ++i) {
        char c = digits[i];
        if (c < '0' || c > '9') ok = false;
        else value = value * 10 + (c - '0');
    }
    if (negative) value = -value;
    if (!ok || value < low || value > high)
        fail(node, fmt::format("{}: expected a number from {} to {}", what, low, high));
    return static_cast<int>(value);
}

std::optional<int> integer_or_unbounded(const Node& node, std::string_view what, int low, int high) {
    if (node.is_scalar() && node.text == "*") return std::nullopt;
    return integer(node, fmt::format("{} (or '*')", what), low, high);
}

std::size_t choice(const Node& node, std::string_view what, std::span<const std::string_view> names, Case match) {
    const std::string& s = scalar(node, what);
    std::size_t i = 0;
    for (auto name : names) {
        if (match == Case::ignore ? same_ignoring_case(s, name) : s == name) return i;
        ++i;
    }
    fail(node, fmt::format("{} '{}': expected {}", what, s, join_choices(names)));
}

bool boolean(const Node& node, std::string_view what) {
    const std::string& s = scalar(node, what);
    if (same_ignoring_case(s, "true")) return true;
    if (same_ignoring_case(s, "false")) return false;
    fail(node, fmt::format("{}: expected true or false", what));
}

}  // namespace hl7::rule_file
