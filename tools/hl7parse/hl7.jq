# hl7.jq: helpers for the hl7json form (hl7parse), so that recipes read naturally and never break on shape.
# Use with `jq -L DIR 'include "hl7"; ...'` (DIR holding this file; installed to PREFIX/lib/jq).

# A leaf as text: a string as it is, a component with subcomponents as its first one, null as "".
def text: if type == "array" then (.[0] // "" | text) elif type == "string" then . else "" end;

# Parts as ER7-like text with the standard delimiters (values are not escaped again): a component
# joins its subcomponents with &, a repetition its components with ^, a field its repetitions with ~.
def component_text: if type == "array" then map(. // "") | join("&") else (. // "") end;
def repetition_text: if type == "array" then map(component_text) | join("^") else component_text end;
def field_text: if type == "array" then map(repetition_text) | join("~") else repetition_text end;

# The segments of a message with this ID, in order. Given a segment object, the segment itself if
# its ID matches, so that `segments("OBX") | [cell("OBX-3.1"), cell("OBX-5")]` gives one row per OBX.
def segments($id):
  if type == "object" and has("segments") then .segments[] | select(.fields[0] == $id)
  elif type == "object" and (.fields[0]? == $id) then .
  else empty end;

# The values a path names, as text: "PID-5.1", "OBX[*]-5", "PID-3[*].1", "PID-5.1.2", "MSH-9".
# A path that stops above a leaf gives its ER7-like text; absent parts give nothing (so use
# `first(get(P)) // ""` for a cell that must be there, as in @tsv rows).
def get($path):
  ($path | capture("^(?<seg>[A-Z][A-Z0-9]{2})(\\[(?<occ>\\*|[0-9]+)\\])?(-(?<f>[0-9]+)(\\[(?<rep>\\*|[0-9]+)\\])?(\\.(?<c>[0-9]+)(\\.(?<s>[0-9]+))?)?)?$")
   // error("hl7.jq: bad path \($path)")) as $q
  | def pick($list; $which): if $which == "*" then $list[] elif $which == null then $list[0] // empty
                             else $list[($which | tonumber) - 1] // empty end;
  [segments($q.seg)] as $segs
  | pick($segs; $q.occ)
  | if $q.f == null then .fields[1:] | map(field_text) | join("|")
    else (.fields[$q.f | tonumber] // empty) as $field
    | if $q.rep == null and $q.c == null then ($field | field_text)
      else pick($field; $q.rep) as $rep
      | if $q.c == null then ($rep | repetition_text)
        else ($rep[($q.c | tonumber) - 1] // empty) as $comp
        | if $q.s == null then ($comp | component_text)
          elif ($comp | type) == "array" then ($comp[($q.s | tonumber) - 1] // empty)
          elif $q.s == "1" then $comp
          else empty end
        end
      end
    end;

# Text with the escape sequences the form keeps resolved: \E\ a backslash, \.br\ a line break,
# \F\ \S\ \T\ \R\ their delimiters; the others (\H\, \N\, \Xhh\, ...) dropped.
def unescape:
  gsub("\\\\(?<e>[^\\\\]*)\\\\";
       if .e == "E" then "\\" elif .e == ".br" then "\n" elif .e == "F" then "|" elif .e == "S" then "^"
       elif .e == "T" then "&" elif .e == "R" then "~" else "" end);

# One value for a row: the first a path names, or "".
def cell($path): first(get($path)) // "";

# Whether a value is the HL7 null ("" in ER7, "\"\"" in hl7json 2).
def is_hl7_null: . == "\"\"";
