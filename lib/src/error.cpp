// Names for diagnostic severities.
#include "hl7/error.hpp"

namespace hl7 {

const char* severity_name(Severity severity) {
    switch (severity) {
        case Severity::note: return "note";
        case Severity::warning: return "warning";
        case Severity::error: return "error";
    }
    return "error";
}

}  // namespace hl7
