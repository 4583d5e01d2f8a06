// Edits at a path: values (set, set raw, HL7 null, clear, copy, move) and segments (insert, remove,
// rename), for hl7map, hl7anon and any tool that changes messages.
//
// What an Editor promises:
// - Lossless. The message is not changed until commit(); then each segment an edit touched is
//   encoded once (however many edits it got) and written back through Message::replace_segment,
//   and every other segment stays byte for byte as it came in.
// - Absent, empty and HL7 null stay distinct: set() and set_raw() create what is absent, set_null()
//   writes `""`, clear() empties what is present and creates nothing.
// - Text is escaped and converted on write. set() takes UTF-8 text; delimiters and the escape
//   character in it become escape sequences, CR and LF become \X0D\ and \X0A\, and it is converted
//   to the message's charset. A character the charset cannot hold (or a delimiter in a message
//   with no escape character, or invalid UTF-8) fails the edit, unless the caller asked for
//   replacement with '?', which is then counted in a warning. Never silently.
// - Atomic edits. An edit that fails changes nothing; errors are values ([[nodiscard]] Status and
//   Result); nothing is thrown, printed, or done in a destructor.
// - No patient data in diagnostic text: a value that helps goes to Diagnostic::value only.
//
// Paths are those of hl7/path.hpp (SEG[occ]-F[rep].C.S). What each edit does with them:
// - A path that stops at a field without [rep] (PID-3) names the whole field, all repetitions;
//   PID-3[1] names the first repetition only; PID-3.1 the first component of the first repetition.
// - MSH-1 and MSH-2 (and FHS/BHS-1, -2) are the delimiters: value edits there are refused
//   ("delimiter-field"). Editing MSH-18 changes that field only: values already in the message are
//   not re-encoded, and the editor goes on writing in the charset it started with.
// - Creating what is absent (set, set raw, set null, copy to it), as set_raw_value did before:
//   fields past the last are padded with empty fields, repetitions, components and subcomponents
//   likewise; a segment occurrence that is the next one (OBX[4] when there are three) is created,
//   after the last segment of that ID (set_raw_value appended it at the end of the message) or at
//   the end when there is none; a later occurrence is an error ("no-segment"). Header segments
//   (MSH, FHS, BHS) are never created.
// - [*] edits what is there and never creates: set, set raw, set null and clear on OBX[*]-11 or
//   PID-13[*].4 apply to every segment / repetition that exists (an empty or absent field has no
//   repetitions); remove OBX[*] removes all OBX segments, PID-3[*] all repetitions (the field
//   stays, empty); rename ZPI[*] renames them all. No match is not an error.
// - copy and move read every source value first, then write. One source value to a [*] target is
//   written to every match (broadcast). A [*] source needs [*] at the same places in the target and
//   pairs by index: OBX[*]-5 -> OBX[*]-6 copies OBX[n]-5 to OBX[n]-6, PID-3[*].1 -> PID-3[*].5
//   repetition n to repetition n, creating target occurrences and repetitions as above (since only
//   the next occurrence is created, an absent source value before one that needs a new target
//   segment fails the copy with "no-segment"). A [*] source to a single target is an error, not a
//   join: joining would invent a separator and merge values (several patients' identifiers, say)
//   into one; a caller that wants that can read with find() and write the joined text itself.
//   An absent source value clears its target (so that the target says what the source says:
//   nothing) and creates nothing; an empty or null one is copied as such.
//   Values are copied as ER7 and must fit the target level: a field with repetitions cannot go
//   into a component ("bad-value"). A copy of MSH-1 or MSH-2 copies its characters as escaped text.
// - move is copy, then clear of the sources; source and target must not overlap (one inside the
//   other), or the clear would undo the copy ("overlapping-move").
// - remove takes a segment (OBX[2], OBX[*]) or repetitions (PID-3[2], PID-3[*]); a field or
//   component is emptied with clear, not removed, since removing it would renumber what follows.
//   A single named segment that is absent is an error ("no-segment"); an absent repetition is not.
//   The MSH that starts the message cannot be removed.
//
// Where this differs from set_raw_value, set_value and remove_at (path.hpp before the editor):
// they re-split and re-joined the whole segment on every edit and refused [*]; a created segment
// went to the end of the message; raw values were written whatever separators they held (so "X~Y"
// at PID-3[2] made two repetitions); a repetition, component or subcomponent past the first in a
// message whose MSH-2 lacks that separator was silently not written; and characters the charset
// could not hold became '?' without a word.
//
// Error codes: "bad-path" (a path this edit cannot take), "delimiter-field", "no-segment",
// "no-separator" (the message's MSH-2 lacks the separator a path needs), "bad-value" (raw ER7 that
// does not fit where it goes), "bad-segment" (an inserted segment or new ID that is not one),
// "unrepresentable", "invalid-utf8", "overlapping-move". Diagnostic::where.path names the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

// What set() does with a character the target charset cannot hold.
enum class Unrepresentable : std::uint8_t {
    fail,     // the edit fails ("unrepresentable" or "invalid-utf8"); the default
    replace,  // written as '?', and counted in a warning (warnings())
};

struct EditOptions {
    // The charset set() writes. Without one: the message's MSH-18 when the editor is made. ASCII
    // (also an empty MSH-18) is strict on write: only 7-bit text fits, although readers take ASCII
    // as UTF-8. An MSH-18 this library does not know is written as ASCII too: nothing else is known
    // to fit it. Name a charset here to write UTF-8 into a message that does not declare it.
    std::optional<Charset> charset;
    Unrepresentable unrepresentable = Unrepresentable::fail;
};

// Where insert_segment puts a new segment.
struct SegmentPosition {
    enum class Kind : std::uint8_t { after, after_last, at_end };
    Kind kind = Kind::at_end;
    std::string id;      // for after and after_last
    int occurrence = 1;  // for after: PID is after(PID, 1), OBX[2] after(OBX, 2)

    static SegmentPosition after(std::string_view id, int occurrence = 1) {
        return {Kind::after, std::string(id), occurrence};
    }
    static SegmentPosition after_last(std::string_view id) { return {Kind::after_last, std::string(id), 1}; }
    static SegmentPosition at_end() { return {}; }
};

// One value as the editor sees it now (pending edits included).
struct EditValue {
    Path path;        // concrete: [*] replaced by the occurrence and repetition found
    std::string raw;  // ER7 text, escapes not decoded
};

namespace detail {
struct EditEntry;   // a segment as edited: an original one, touched or not, or a new one
struct EditTarget;  // a place in a segment (or in one to create) that an edit writes
struct EditSpot;    // a field, repetition, component or subcomponent of a segment
struct EditNode;    // a part of a segment, split at its separator only when an edit goes below it
}  // namespace detail

// Edits one message. The message must outlive the editor and must not be changed by other means
// between the first edit and commit(). Not thread-safe; cheap to make, one per message.
class Editor {
public:
    explicit Editor(Message& message, EditOptions options = {});
    ~Editor();
    Editor(const Editor&) = delete;
    Editor& operator=(const Editor&) = delete;

    // Value edits. `text` is plain UTF-8; `raw` is ER7 already escaped and in the message's charset,
    // which may hold the separators below the path's level (PID-5 "DOE^JANE") but not above it.
    Status set(const Path& path, std::string_view text);
    Status set_raw(const Path& path, std::string_view raw);
    Status set_null(const Path& path);
    Status clear(const Path& path);
    // The same for one leaf named by position: the segment's index in the message as it was read
    // (Leaf::segment_index of hl7/walk.hpp) and 1-based field, repetition, component, subcomponent.
    // No path is resolved, so a caller rewriting thousands of walked leaves (hl7anon) does not look
    // every segment up again. `raw` must hold no delimiter and no segment end. "no-segment" when the
    // segment moved (an insert or remove came first), "delimiter-field" for MSH-1/MSH-2, "bad-value"
    // for a raw value with a delimiter in it, "no-separator" when MSH-2 lacks one (edit by path then).
    Status set_raw_at(std::size_t segment_index, int field, int repetition, int component, int subcomponent,
                      std::string_view raw);
    Status clear_at(std::size_t segment_index, int field, int repetition, int component, int subcomponent);
    Status copy(const Path& from, const Path& to);
    Status move(const Path& from, const Path& to);

    // Segment edits. `segment_text` is ER7 without terminator, in the message's delimiters
    // ("ZPI|1|X"); its ID must be three letters or digits starting with a letter, and not MSH, FHS
    // or BHS. Returns the occurrence of the new segment among those with its ID.
    Result<int> insert_segment(const SegmentPosition& where, std::string_view segment_text);
    Status remove(const Path& path);
    // Renames the segment(s) a segment path names, keeping their fields (ZPI -> PID).
    Status rename(const Path& segments, std::string_view new_id);

    // Appends the values `path` names as they are now, pending edits included (find_values rules).
    void find(const Path& path, std::vector<EditValue>& out) const;

    // Writes the pending edits into the message: touched segments encoded once each, removed ones
    // removed, new ones inserted. The editor can go on editing afterwards.
    void commit();
    // Drops the pending edits (and their warnings).
    void discard();
    bool pending() const;

    // Segments encoded by commit() so far: one per touched segment per commit, whatever the edits.
    std::size_t segments_encoded() const { return segments_encoded_; }
    // Warnings of edits made so far (replacement characters).
    const Diagnostics& warnings() const { return warnings_; }
    Charset charset() const { return charset_; }

private:
    using Target = detail::EditTarget;
    using Spot = detail::EditSpot;
    using Node = detail::EditNode;

    Result<std::vector<Target>> targets(const Path& path, const char* verb, bool create, int& planned) const;
    Result<std::string> encode_text(const Path& path, std::string_view text, std::size_t& replaced) const;
    Status write_all(const Path& path, const char* verb, std::string_view raw, std::size_t replaced,
                     std::string_view text);
    Status transfer(const Path& from, const Path& to, bool move);
    std::size_t created_entry(std::vector<std::pair<int, std::size_t>>& created, const Target& target);
    std::size_t create_segment(std::string_view id);
    std::vector<std::pair<std::size_t, int>> segments_with(std::string_view id) const;
    int repetitions(std::size_t entry, int field) const;
    Node* find_node(std::size_t entry, const Spot& spot) const;
    std::optional<std::string> read(std::size_t entry, const Spot& spot) const;
    void write(std::size_t entry, const Spot& spot, std::string_view raw);
    Result<std::size_t> entry_at(std::size_t segment_index, int field) const;
    bool clear_spot(std::size_t entry, const Spot& spot);
    Node& tree(std::size_t entry) const;
    std::string_view entry_id(std::size_t entry) const;
    void note_replaced(const Path& path, std::size_t replaced, std::string_view text);
    void sync();

    Message* message_;
    EditOptions options_;
    Charset charset_ = Charset::utf8;
    mutable std::vector<detail::EditEntry> entries_;  // the segments in order, as edited
    Diagnostics warnings_;
    std::size_t segments_encoded_ = 0;
};

}  // namespace hl7
