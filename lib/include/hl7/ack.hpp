// Acknowledgements (ACK): building one for a received message, with one ERR segment per finding,
// and reading one that came back (MSA, ERR in the 2.5+ and the older form).
//
// parse_ack promises: every value comes out decoded (escapes, MSH-18 charset) as UTF-8 text, and
// is data: a caller decides whether to print it. An ACK the library cannot read as one (no MSA, an
// MSA-1 that is not an acknowledgment code) is an error value; whatever else is odd in it is read as
// far as it goes, and said in Ack::notes (values only in Diagnostic::value).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hl7/charset.hpp"
#include "hl7/error.hpp"
#include "hl7/message.hpp"
#include "hl7/path.hpp"

namespace hl7 {

// MSA-1: original mode AA/AE/AR, enhanced mode commit CA/CE/CR.
enum class AckCode { AA, AE, AR, CA, CE, CR };
std::string_view ack_code_name(AckCode code);
// The code for a name ("AE" -> AE); nullopt for anything else (codes are upper case, as HL7 writes them).
std::optional<AckCode> ack_code_from_name(std::string_view name);

// What a code says, whatever the mode: AA and CA accepted, AE and CE error, AR and CR rejected.
enum class AckOutcome { accepted, error, rejected };
AckOutcome ack_outcome(AckCode code);
// CA, CE, CR: an enhanced-mode accept acknowledgment (the receiver has committed the message to
// safe storage, or could not), which an application acknowledgment may follow later.
bool is_commit_code(AckCode code);

struct AckFinding {
    Path location;             // where: ERR-2 (2.5+) or ERR-1 (before 2.5)
    int code = 207;            // HL7 table 0357: 100 segment sequence, 101 required field missing,
                               // 102 data type, 103 table value, 200 unsupported message type,
                               // 203 unsupported version, 207 application internal error, ...
    char severity = 'E';       // ERR-4 (table 0516): E error, W warning, I information
    std::string text;          // ERR-8 user message (2.5+); never patient data by default
};

struct AckOptions {
    AckCode code = AckCode::AA;
    std::string control_id;    // MSH-10 of the ACK; the caller chooses (the library keeps no counter)
    std::string timestamp;     // MSH-7, e.g. 20240115083000; the caller reads the clock
    std::string text;          // MSA-3, optional
    std::vector<AckFinding> findings;
    SegmentEndStyle segment_end = SegmentEndStyle::cr;
};

// Text of the 0357 code ("Data type error"), or "" if unknown.
std::string_view error_code_text(int code);

// The ACK for `original`, as ER7: MSH with sending and receiving application and facility
// swapped, MSH-9 ACK^<trigger>^ACK, MSH-11/12 copied, MSA-2 = original MSH-10, then ERR segments.
// An MSH-11 whose processing ID is not P, D or T, or an MSH-12 that is not an HL7 v2 version as
// written, is not copied: the ACK says P, or the version read (2.5.1 if none), and a warning in
// `notes` says so (the ACK stays valid for its own version).
std::string build_ack(const Message& original, const AckOptions& options, Diagnostics* notes = nullptr);

// --- reading an ACK ---------------------------------------------------------------------------

// A coded value as CE and CWE write it: identifier ^ text ^ name of coding system.
struct AckCodedValue {
    std::string identifier;     // "102"
    std::string text;           // "Data type error"
    std::string coding_system;  // "HL70357"
    bool empty() const { return identifier.empty() && text.empty() && coding_system.empty(); }
};

// Which form an error came in. From 2.5 on, an ERR segment is one error: ERR-2 location (ERL),
// ERR-3 code, ERR-4 severity, ... Before, ERR-1 (ELD) repeats, each repetition one error:
// segment ID ^ sequence ^ field position ^ code&text&coding system. The form is read from what the
// segment holds, not from MSH-12: senders mix them.
enum class AckErrorForm { erl, eld };

struct AckError {
    AckErrorForm form = AckErrorForm::erl;
    std::size_t segment_index = 0;  // the ERR segment, 0-based in the ACK
    // ERR-2 (all repetitions), or the ELD's segment, sequence and field; empty when none is given
    // or none could be read (see Ack::notes). Occurrence and repetition 1 are not "given", so
    // to_string() reads "PID-7" for PID^1^7^1.
    std::vector<Path> locations;
    AckCodedValue code;             // ERR-3, or the ELD's code: HL7 table 0357, or the sender's own
    std::string severity;           // ERR-4 (table 0516): E, W, I, F; "" in the ELD form, which has none
    AckCodedValue application_code; // ERR-5
    std::string diagnostic;         // ERR-7 diagnostic information (for the sender's support staff)
    std::string user_message;       // ERR-8 user message

    // The code's identifier as a number (102), when it is one.
    std::optional<int> code_number() const;
};

struct Ack {
    AckCode code = AckCode::AA;      // MSA-1
    std::string acknowledged_id;     // MSA-2: MSH-10 of the message acknowledged
    std::string text;                // MSA-3 text message
    AckCodedValue error_condition;   // MSA-6 (2.2 to 2.6; ERR has taken its place since)
    std::string control_id;          // MSH-10 of the ACK itself
    std::vector<AckError> errors;    // in the order of the ERR segments and their ERR-1 repetitions
    Diagnostics notes;               // warnings about parts that could not be read as HL7 says
};

// Reads an acknowledgment: any message with an MSA segment (ACK, or an application response such
// as RSP or ORL), its first MSA, and every ERR segment. Text is decoded in `charset`, or in the
// charset MSH-18 declares when none is given. Errors: "not-an-ack" (no MSA segment), "bad-ack-code"
// (MSA-1 empty or not AA, AE, AR, CA, CE or CR; the code in Diagnostic::value).
Result<Ack> parse_ack(const Message& ack, std::optional<Charset> charset = std::nullopt);

// The MSA-2 an acknowledgment of `original` carries: its MSH-10, decoded (escapes, MSH-18
// charset); empty when it has none. Worked out once, it spares a sender re-reading the message
// for every reply.
std::string acknowledgment_id(const Message& original);

// True when `ack` acknowledges `original`: MSA-2 is the original's MSH-10, both decoded (and not
// empty).
bool acknowledges(const Ack& ack, const Message& original);

}  // namespace hl7
