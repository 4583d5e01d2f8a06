// The bundled word lists of hl7anon's fake values. Written for hl7kit: very common English-language
// family and given names (frequent enough that none points at anyone), generic street words and
// suffixes, generic town names built from common words, and the USPS codes of the 50 states. No
// list is taken from a data set; no real person's data.
#include "anon_data.hpp"

#include <array>

namespace hl7::anon_data {

namespace {

constexpr std::array<std::string_view, 100> kFamily = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
    "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins",
    "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed",
    "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks",
    "Bennett", "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson",
    "Jordan", "Reynolds", "Hamilton", "Graham", "Wallace", "Woods", "Cole", "West", "Owens", "Marshall",
    "Ellis", "Stone", "Hunt", "Palmer", "Black", "Mills", "Warren", "Fox", "Rose", "Porter",
};

constexpr std::array<std::string_view, 100> kGiven = {
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
    "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Margaret", "Donald", "Sandra",
    "Steven", "Ashley", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle", "Kenneth", "Carol",
    "Kevin", "Amanda", "Brian", "Melissa", "George", "Deborah", "Edward", "Stephanie", "Ronald", "Rebecca",
    "Timothy", "Laura", "Jason", "Sharon", "Jeffrey", "Cynthia", "Ryan", "Kathleen", "Jacob", "Amy",
    "Gary", "Shirley", "Nicholas", "Angela", "Eric", "Helen", "Jonathan", "Anna", "Stephen", "Brenda",
    "Larry", "Pamela", "Justin", "Nicole", "Scott", "Emma", "Brandon", "Samantha", "Benjamin", "Katherine",
    "Samuel", "Christine", "Frank", "Debra", "Gregory", "Rachel", "Raymond", "Catherine", "Alexander", "Carolyn",
    "Patrick", "Janet", "Jack", "Ruth", "Dennis", "Maria", "Jerry", "Heather", "Tyler", "Diane",
};

constexpr std::array<std::string_view, 40> kStreetWords = {
    "Oak", "Maple", "Pine", "Cedar", "Elm", "Birch", "Willow", "Spruce", "Walnut", "Chestnut",
    "Lake", "Hill", "Park", "Main", "River", "Spring", "Meadow", "Forest", "Valley", "Ridge",
    "Church", "Mill", "School", "Market", "Station", "Bridge", "Garden", "Orchard", "Harbor", "Sunset",
    "First", "Second", "Third", "Fourth", "Fifth", "Center", "Highland", "Prospect", "Union", "Liberty",
};

constexpr std::array<std::string_view, 8> kStreetSuffixes = {"St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Pl"};

constexpr std::array<std::string_view, 40> kCities = {
    "Fairview", "Riverside", "Greenville", "Franklin", "Clinton", "Georgetown", "Salem", "Madison", "Oakdale",
    "Springdale", "Lakeside", "Hillcrest", "Milford", "Ashland", "Bristol", "Dover", "Newport", "Kingston",
    "Marion", "Burlington", "Clayton", "Dayton", "Easton", "Fulton", "Hudson", "Jackson", "Lebanon", "Lexington",
    "Manchester", "Milton", "Oxford", "Plymouth", "Princeton", "Richmond", "Shelby", "Troy", "Union", "Warren",
    "Winchester", "Woodstock",
};

constexpr std::array<std::string_view, 50> kStates = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND",
    "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
};

}  // namespace

std::span<const std::string_view> family_names() { return kFamily; }
std::span<const std::string_view> given_names() { return kGiven; }
std::span<const std::string_view> street_words() { return kStreetWords; }
std::span<const std::string_view> street_suffixes() { return kStreetSuffixes; }
std::span<const std::string_view> city_names() { return kCities; }
std::span<const std::string_view> state_codes() { return kStates; }

}  // namespace hl7::anon_data
