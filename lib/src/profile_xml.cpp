// HL7 v2 XML conformance profiles (HL7v2xConformanceProfile / HL7v2xStaticDef) read into the
// profile model. Why expat: these files come from other tools (Messaging Workbench, NIST), with
// encodings declared in the prolog, entities, CDATA and comments; a real, fuzzed, streaming XML
// parser handles all of that (and entity-expansion attacks) where a hand-written reader would not.
#include <expat.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "profile_model.hpp"

namespace hl7::profile_model {

namespace {

// An element of a static definition: a field, component or subcomponent.
struct XmlElement {
    Presence presence = Presence::none;
    int min = 0;
    std::optional<int> max;
    std::uint32_t length = 0;
    std::string datatype;
    std::uint16_t table = 0;
    std::vector<XmlElement> children;
};

// One place a segment has in the structure, with what its enclosing groups make of it.
struct SegmentPlace {
    std::string id;
    bool required = false;   // R, inside groups that are all R
    bool forbidden = false;  // X, or inside an X group
    int min = 0;
    std::optional<int> max;  // times the enclosing groups' maxima; none: unbounded
    std::vector<XmlElement> fields;
};

struct Group {
    bool required = false;
    bool forbidden = false;
    std::optional<int> max;
};

enum class Kind { profile, metadata, static_def, group, segment, field, component, subcomponent, other };

class XmlReader {
public:
    XmlReader(std::string_view name) : name_(name) { model_.name = std::string(name); }

    Result<ProfileModel> read(std::string_view text) {
        XML_Parser parser = XML_ParserCreate(nullptr);
        if (!parser) return profile_error(name_, 0, "out of memory");
        parser_ = parser;
        XML_SetUserData(parser, this);
        XML_SetElementHandler(parser, &XmlReader::on_start, &XmlReader::on_end);
        bool ok = true;
        std::size_t done = 0;
        do {
            std::size_t chunk = std::min<std::size_t>(text.size() - done, INT_MAX / 2);
            bool final = done + chunk == text.size();
            if (XML_Parse(parser, text.data() + done, static_cast<int>(chunk), final) != XML_STATUS_OK) {
                ok = false;
                break;
            }
            done += chunk;
        } while (done < text.size());
        std::uint64_t line = XML_GetCurrentLineNumber(parser);
        std::string xml_error = ok ? "" : XML_ErrorString(XML_GetErrorCode(parser));
        XML_ParserFree(parser);
        parser_ = nullptr;
        if (!error_.empty()) return profile_error(name_, error_line_, error_);
        if (!ok) return profile_error(name_, line, fmt::format("invalid XML: {}", xml_error));
        if (static_defs_ == 0) return profile_error(name_, 0, "no HL7v2xStaticDef element");
        finish();
        return std::move(model_);
    }

private:
    static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char** atts) {
        static_cast<XmlReader*>(self)->start(name, atts);
    }
    static void XMLCALL on_end(void* self, const XML_Char* /*name*/) { static_cast<XmlReader*>(self)->end(); }

    void fail(std::string text) {
        if (!error_.empty()) return;
        error_ = std::move(text);
        error_line_ = XML_GetCurrentLineNumber(parser_);
        XML_StopParser(parser_, XML_FALSE);
    }

    static std::string_view attribute(const XML_Char** atts, std::string_view key) {
        for (int i = 0; atts[i]; i += 2)
            if (key == atts[i]) return atts[i + 1];
        return {};
    }

    static std::string_view trim(std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
            s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
            s.remove_suffix(1);
        return s;
    }

    static std::optional<int> number(std::string_view s) {
        s = trim(s);
        if (s.empty() || s.size() > 9) return std::nullopt;
        int v = 0;
        for (char c : s) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + (c - '0');
        }
        return v;
    }

    // Usage: R required, X forbidden; RE, O, C, CE, B, W and conditional forms: no presence rule.
    Presence usage(const XML_Char** atts) {
        std::string_view u = trim(attribute(atts, "Usage"));
        if (u == "R") return Presence::required;
        if (u == "X") return Presence::forbidden;
        return Presence::none;
    }

    bool cardinality(const XML_Char** atts, std::string_view element, int& min, std::optional<int>& max) {
        std::string_view min_text = attribute(atts, "Min"), max_text = attribute(atts, "Max");
        min = 0;
        max.reset();
        if (!trim(min_text).empty()) {
            auto v = number(min_text);
            if (!v) {
                fail(fmt::format("{} Min='{}': expected a number", element, min_text));
                return false;
            }
            min = *v;
        }
        if (!trim(max_text).empty() && trim(max_text) != "*") {
            auto v = number(max_text);
            if (!v) {
                fail(fmt::format("{} Max='{}': expected a number or '*'", element, max_text));
                return false;
            }
            max = *v;
        }
        return true;
    }

    // "0001", "HL70001", "1"; anything else (local names) gives 0: no table check.
    static std::uint16_t table_number(std::string_view s) {
        s = trim(s);
        if (s.size() > 3 && (s.substr(0, 3) == "HL7" || s.substr(0, 3) == "hl7")) s.remove_prefix(3);
        auto v = number(s);
        return v && *v > 0 && *v <= 65535 ? static_cast<std::uint16_t>(*v) : 0;
    }

    // "20", or the upper end of "1..20"; anything else gives 0: no length check.
    static std::uint32_t length_of(const XML_Char** atts) {
        std::string_view s = attribute(atts, "Length");
        if (trim(s).empty()) s = attribute(atts, "MaxLength");
        s = trim(s);
        if (auto dots = s.find(".."); dots != std::string_view::npos) s = s.substr(dots + 2);
        auto v = number(s);
        return v ? static_cast<std::uint32_t>(*v) : 0;
    }

    Kind parent() const { return stack_.empty() ? Kind::other : stack_.back(); }

    void start(std::string_view name, const XML_Char** atts) {
        if (!error_.empty()) return;
        Kind kind = Kind::other;
        Kind up = parent();
        if (stack_.empty()) {
            if (name == "HL7v2xConformanceProfile") {
                kind = Kind::profile;
                std::string_view version = trim(attribute(atts, "HL7Version"));
                if (!version.empty()) {
                    if (!defs::match_version(version).version) {
                        fail(fmt::format("HL7Version '{}' is not a known HL7 version", version));
                        return;
                    }
                    model_.version = std::string(version);
                }
            } else if (name == "HL7v2xStaticDef") {
                kind = Kind::static_def;
                static_def(atts);
            } else {
                fail(fmt::format("root element <{}>: expected HL7v2xConformanceProfile or HL7v2xStaticDef", name));
                return;
            }
        } else if (name == "MetaData" && (up == Kind::profile || up == Kind::static_def)) {
            kind = Kind::metadata;
            std::string_view n = trim(attribute(atts, "Name"));
            if (!n.empty() && !named_) {
                model_.name = std::string(n);
                named_ = true;
            }
        } else if (name == "HL7v2xStaticDef" && up == Kind::profile) {
            kind = Kind::static_def;
            static_def(atts);
        } else if (name == "SegGroup" && (up == Kind::static_def || up == Kind::group)) {
            kind = Kind::group;
            Group g;
            Presence p = usage(atts);
            int min = 0;
            if (!cardinality(atts, "SegGroup", min, g.max)) return;
            g.required = p == Presence::required;
            g.forbidden = p == Presence::forbidden;
            groups_.push_back(g);
        } else if (name == "Segment" && (up == Kind::static_def || up == Kind::group)) {
            kind = Kind::segment;
            SegmentPlace place;
            place.id = std::string(trim(attribute(atts, "Name")));
            if (place.id.size() != 3) {
                fail(fmt::format("Segment Name='{}': expected a segment ID", place.id));
                return;
            }
            Presence p = usage(atts);
            if (!cardinality(atts, "Segment", place.min, place.max)) return;
            place.required = p == Presence::required;
            place.forbidden = p == Presence::forbidden;
            for (const Group& g : groups_) {
                place.required = place.required && g.required;
                place.forbidden = place.forbidden || g.forbidden;
                if (!g.max) place.max.reset();
                else if (place.max) place.max = static_cast<int>(std::min<long>(long(*place.max) * *g.max, 999999));
            }
            places_.push_back(std::move(place));
        } else if ((name == "Field" && up == Kind::segment) || (name == "Component" && up == Kind::field) ||
                   (name == "SubComponent" && up == Kind::component)) {
            kind = up == Kind::segment ? Kind::field : up == Kind::field ? Kind::component : Kind::subcomponent;
            XmlElement e;
            e.presence = usage(atts);
            if (!cardinality(atts, name, e.min, e.max)) return;
            e.length = length_of(atts);
            e.datatype = std::string(trim(attribute(atts, "Datatype")));
            e.table = table_number(attribute(atts, "Table"));
            std::vector<XmlElement>& siblings = kind == Kind::field       ? places_.back().fields
                                                : kind == Kind::component ? places_.back().fields.back().children
                                                                          : places_.back().fields.back().children.back().children;
            siblings.push_back(std::move(e));
        }
        stack_.push_back(kind);
    }

    void end() {
        if (!error_.empty() || stack_.empty()) return;
        if (stack_.back() == Kind::group) groups_.pop_back();
        stack_.pop_back();
    }

    void static_def(const XML_Char** atts) {
        if (++static_defs_ > 1) {
            fail("more than one HL7v2xStaticDef: give one message profile per file");
            return;
        }
        std::string_view type = trim(attribute(atts, "MsgType")), event = trim(attribute(atts, "EventType"));
        if (!type.empty()) {
            MessageType t;
            t.type = std::string(type);
            t.trigger = event.empty() || event == "*" || event == "ALL" ? "*" : std::string(event);
            model_.messages.push_back(std::move(t));
        }
    }

    // One rule for a field, component or subcomponent; its children below it.
    void rules_for(const XmlElement& e, const Path& path, bool within_parent) {
        FieldRule r;
        r.path = path;
        r.presence = e.presence;
        r.within_parent = within_parent;
        if (e.presence != Presence::forbidden) {
            if (path.component == 0) {
                if (e.min > 1) r.min = e.min;
                r.max = e.max;
            }
            r.length = e.length;
            r.length_severity = Severity::warning;
            if (e.children.empty()) r.datatype = e.datatype;
            // The table of a coded field is usually repeated on its first component: check it once.
            bool table_below = !e.children.empty() && e.children.front().table != 0;
            if (e.table && !table_below) r.table = defs::table(e.table);
        }
        bool any = r.presence != Presence::none || r.min || r.max || r.length || !r.datatype.empty() || r.table;
        if (any) model_.fields.push_back(std::move(r));
        if (e.presence == Presence::forbidden) return;
        for (std::size_t k = 0; k < e.children.size(); ++k) {
            Path child = path;
            if (path.component == 0) child.component = static_cast<int>(k + 1);
            else child.subcomponent = static_cast<int>(k + 1);
            rules_for(e.children[k], child, true);
        }
    }

    // Segments that appear in several places are merged: required if required anywhere, forbidden
    // if forbidden everywhere, the smallest minimum, the sum of the maxima; fields from the first
    // place that gives them.
    void finish() {
        std::vector<std::string> order;
        for (const auto& p : places_)
            if (std::find(order.begin(), order.end(), p.id) == order.end()) order.push_back(p.id);
        for (const std::string& id : order) {
            SegmentRule rule;
            rule.id = id;
            bool first = true, required = false, forbidden = true;
            int min = 0;
            std::optional<int> max = 0;
            const SegmentPlace* with_fields = nullptr;
            for (const auto& p : places_) {
                if (p.id != id) continue;
                required = required || p.required;
                forbidden = forbidden && p.forbidden;
                if (p.forbidden) continue;
                min = first ? p.min : std::min(min, p.min);
                first = false;
                if (!p.max || !max) max.reset();
                else max = std::min(*max + *p.max, 999999);
                if (!with_fields && !p.fields.empty()) with_fields = &p;
            }
            if (forbidden) {
                rule.presence = Presence::forbidden;
                model_.segments.push_back(std::move(rule));
                continue;
            }
            rule.presence = required ? Presence::required : Presence::none;
            rule.min = min > 1 ? min : 0;
            rule.max = max;
            if (rule.presence != Presence::none || rule.min || rule.max) model_.segments.push_back(std::move(rule));
            if (!with_fields) continue;
            for (std::size_t k = 0; k < with_fields->fields.size(); ++k) {
                Path path;
                path.segment = id;
                path.field = static_cast<int>(k + 1);
                rules_for(with_fields->fields[k], path, false);
            }
        }
    }

    std::string_view name_;
    XML_Parser parser_ = nullptr;
    ProfileModel model_;
    bool named_ = false;
    int static_defs_ = 0;
    std::vector<Kind> stack_;
    std::vector<Group> groups_;
    std::vector<SegmentPlace> places_;
    std::string error_;
    std::uint64_t error_line_ = 0;
};

}  // namespace

Result<ProfileModel> read_xml_profile(std::string_view text, std::string_view name) {
    return XmlReader(name).read(text);
}

}  // namespace hl7::profile_model
