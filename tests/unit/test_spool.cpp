// Tests of the spool file: the record format, appends read back whole, reopen after a rename.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/spool.hpp"

namespace fs = std::filesystem;
using hl7::cli::read_spool_record;
using hl7::cli::spool_record;
using hl7::cli::SpoolFile;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "hl7spoolXXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string contents(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> records_in(std::string_view data) {
    std::vector<std::string> out;
    while (auto r = read_spool_record(data)) {
        out.emplace_back(r->message);
        data.remove_prefix(r->size);
    }
    CHECK(data.empty());
    return out;
}

}  // namespace

TEST_CASE("spool record: decimal length, LF, bytes, LF") {
    CHECK(spool_record("MSH|x\r") == "6\nMSH|x\r\n");
    CHECK(spool_record("") == "0\n\n");
    std::string binary("a\nb\0c\x1c", 6);
    std::string data = spool_record(binary) + "junk";
    auto r = read_spool_record(data);
    REQUIRE(r);
    CHECK(r->message == binary);
    CHECK(r->size == 2 + 6 + 1);
}

TEST_CASE("spool record: a cut or malformed record is not read") {
    std::string whole = spool_record("MSH|abc\r");
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        CHECK_FALSE(read_spool_record(std::string_view(whole).substr(0, cut)));
    }
    CHECK_FALSE(read_spool_record("x\nabc\n"));
    CHECK_FALSE(read_spool_record("3\nabcd"));    // no LF after the bytes
    CHECK_FALSE(read_spool_record("\nabc\n"));
}

TEST_CASE("spool file: appends read back in order; reopen follows a rename") {
    TempDir dir;
    fs::path path = dir.path / "feed.spool";
    SpoolFile spool;
    REQUIRE(spool.open(path.string(), true));
    CHECK(spool.append("MSH|1\r"));
    CHECK(spool.append(std::string("MSH|2\rNTE|\n\0\r", 13)));
    CHECK(records_in(contents(path)) == std::vector<std::string>{"MSH|1\r", std::string("MSH|2\rNTE|\n\0\r", 13)});
    fs::rename(path, dir.path / "feed.spool.1");
    CHECK(spool.append("MSH|3\r"));  // still the renamed file
    REQUIRE(spool.reopen());
    CHECK(spool.append("MSH|4\r"));
    CHECK(records_in(contents(dir.path / "feed.spool.1")).size() == 3);
    CHECK(records_in(contents(path)) == std::vector<std::string>{"MSH|4\r"});
}

TEST_CASE("spool file: an existing file is appended to; a bad path is an error") {
    TempDir dir;
    fs::path path = dir.path / "feed.spool";
    {
        SpoolFile spool;
        REQUIRE(spool.open(path.string(), false));
        CHECK(spool.append("MSH|1\r"));
    }
    SpoolFile again;
    REQUIRE(again.open(path.string(), true));
    CHECK(again.append("MSH|2\r"));
    CHECK(records_in(contents(path)).size() == 2);
    SpoolFile bad;
    auto s = bad.open((dir.path / "missing" / "feed.spool").string(), true);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == "store-failed");
    CHECK_FALSE(bad.append("MSH|1\r"));
}

TEST_CASE("spool file: group commit appends many records and syncs them once") {
    TempDir dir;
    fs::path path = dir.path / "feed.spool";
    SpoolFile spool;
    REQUIRE(spool.open(path.string(), true));
    CHECK(spool.commit());  // nothing staged
    CHECK(spool.append("MSH|0\r"));
    for (int i = 1; i <= 3; ++i) CHECK(spool.stage("MSH|" + std::to_string(i) + "\r"));
    CHECK(spool.staged() == 3);
    CHECK_FALSE(spool.reopen());  // staged records belong to this file: commit first
    CHECK(spool.commit());
    CHECK(spool.staged() == 0);
    CHECK(records_in(contents(path)) == std::vector<std::string>{"MSH|0\r", "MSH|1\r", "MSH|2\r", "MSH|3\r"});
    CHECK(spool.reopen());
    if (fs::exists("/dev/full")) {
        SpoolFile full;
        REQUIRE(full.open("/dev/full", true));
        CHECK_FALSE(full.stage("MSH|1\r"));
        CHECK(full.staged() == 0);
    }
}
