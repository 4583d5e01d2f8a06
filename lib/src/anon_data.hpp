// The bundled word lists of hl7anon's fake values (fake_name, fake_address, fake_email).
// Internal to the library.
#pragma once

#include <span>
#include <string_view>

namespace hl7::anon_data {

std::span<const std::string_view> family_names();
std::span<const std::string_view> given_names();
std::span<const std::string_view> street_words();
std::span<const std::string_view> street_suffixes();
std::span<const std::string_view> city_names();
std::span<const std::string_view> state_codes();

}  // namespace hl7::anon_data
