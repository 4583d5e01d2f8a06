// Tests of the maildir-style queue folder: names in arrival order, files whole in new/, nothing in tmp/.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/queue_dir.hpp"

namespace fs = std::filesystem;
using hl7::cli::QueueDir;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "hl7queueXXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
};

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string contents(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("queue file names sort in the order given, even when the clock steps back") {
    QueueDir q;
    std::vector<std::string> given;
    given.push_back(q.next_name(2000000, 1, 1));
    given.push_back(q.next_name(1000000, 2, 1));  // clock stepped back: held at the last time
    given.push_back(q.next_name(2000000, 1, 2));
    given.push_back(q.next_name(99000000, 10, 1));
    given.push_back(q.next_name(99000000, 3, 11));
    std::vector<std::string> sorted = given;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == given);
    CHECK(std::unique(sorted.begin(), sorted.end()) == sorted.end());
    CHECK(hl7::cli::queue_file_name(1, 2, 3, 4, 5) == "00000000000000000001.000000000002.P3C4M5.hl7");
}

TEST_CASE("store puts the bytes whole in new/ and leaves nothing in tmp/") {
    TempDir t;
    QueueDir q;
    fs::path dir = t.path / "queue";
    REQUIRE(q.open(dir.string(), true));
    CHECK(fs::is_directory(dir / "tmp"));
    CHECK(fs::is_directory(dir / "cur"));
    const std::string a = std::string("MSH|^~\\&|A\rPID|1\r") + '\0' + "\x1c", b = "MSH|^~\\&|B";
    std::string na = q.next_name(5, 1, 1), nb = q.next_name(5, 1, 2);
    REQUIRE(q.store(na, a));
    REQUIRE(q.store(nb, b));
    CHECK(names_in(dir / "new") == std::vector<std::string>{na, nb});
    CHECK(names_in(dir / "tmp").empty());
    CHECK(contents(dir / "new" / na) == a);
    CHECK(contents(dir / "new" / nb) == b);
    SUBCASE("without fsync the files are the same") {
        QueueDir fast;
        REQUIRE(fast.open(dir.string(), false));
        std::string nc = fast.next_name(6, 2, 1);
        REQUIRE(fast.store(nc, "MSH|C"));
        CHECK(contents(dir / "new" / nc) == "MSH|C");
    }
}

TEST_CASE("a store that fails says so and leaves nothing to acknowledge") {
    TempDir t;
    QueueDir q;
    fs::path dir = t.path / "queue";
    REQUIRE(q.open(dir.string(), true));
    if (::geteuid() != 0) {  // root writes where permissions say no
        fs::permissions(dir / "tmp", fs::perms::owner_write, fs::perm_options::remove);
        auto s = q.store(q.next_name(1, 1, 1), "MSH|x");
        CHECK_FALSE(s);
        CHECK(s.error().code == "store-failed");
        CHECK(names_in(dir / "new").empty());
        fs::permissions(dir / "tmp", fs::perms::owner_write, fs::perm_options::add);
    }
    std::string name = q.next_name(2, 1, 2);
    REQUIRE(q.store(name, "one"));
    // tmp/NAME is created exclusively: a name in use is refused, the file in new/ is untouched.
    std::ofstream(dir / "tmp" / name) << "stale";
    CHECK_FALSE(q.store(name, "two"));
    CHECK(contents(dir / "new" / name) == "one");
    CHECK_FALSE(QueueDir().store("x", "y"));
    // A file where a folder should be.
    std::ofstream(t.path / "file") << "x";
    QueueDir bad;
    CHECK_FALSE(bad.open((t.path / "file").string(), true));
}

TEST_CASE("group commit: staged files wait in tmp/, commit moves them all into new/") {
    TempDir t;
    fs::path dir = t.path / "queue";
    for (bool fsync : {true, false}) {
        CAPTURE(fsync);
        QueueDir q;
        REQUIRE(q.open(dir.string(), fsync));
        std::vector<std::string> names;
        for (int i = 0; i < 5; ++i) {
            names.push_back(q.next_name(fsync ? 10 : 20, 1, static_cast<std::uint64_t>(i)));  // names unique over both
            REQUIRE(q.stage(names.back(), "MSH|" + std::to_string(i)));
        }
        CHECK(q.staged() == 5);
        CHECK(names_in(dir / "tmp") == names);  // not in new/ before they are durable
        std::vector<std::string> before = names_in(dir / "new");
        auto results = q.commit();
        REQUIRE(results.size() == 5);
        for (const auto& r : results) CHECK(r);
        CHECK(q.staged() == 0);
        CHECK(names_in(dir / "tmp").empty());
        for (std::size_t i = 0; i < 5; ++i) CHECK(contents(dir / "new" / names[i]) == "MSH|" + std::to_string(i));
        CHECK(names_in(dir / "new").size() == before.size() + 5);
        // One file alone (synced by its own fdatasync), and a commit with nothing staged.
        std::string one = q.next_name(fsync ? 11 : 21, 1, 9);
        REQUIRE(q.stage(one, "MSH|one"));
        auto single = q.commit();
        REQUIRE(single.size() == 1);
        CHECK(single[0]);
        CHECK(contents(dir / "new" / one) == "MSH|one");
        CHECK(q.commit().empty());
    }
}

TEST_CASE("group commit: a file that cannot be stored fails alone or leaves nothing") {
    TempDir t;
    fs::path dir = t.path / "queue";
    {
        QueueDir q;
        REQUIRE(q.open(dir.string(), true));
        std::string name = q.next_name(1, 1, 1);
        REQUIRE(q.stage(name, "one"));
        CHECK_FALSE(q.stage(name, "again"));  // tmp/NAME in use: refused, not staged
        CHECK(q.staged() == 1);
        if (::geteuid() != 0) {  // rename into a new/ that cannot be written: not stored, tmp/ cleaned
            fs::permissions(dir / "new", fs::perms::owner_write, fs::perm_options::remove);
            auto results = q.commit();
            fs::permissions(dir / "new", fs::perms::owner_write, fs::perm_options::add);
            REQUIRE(results.size() == 1);
            CHECK_FALSE(results[0]);
            CHECK(results[0].error().code == "store-failed");
            CHECK(names_in(dir / "new").empty());
            CHECK(names_in(dir / "tmp").empty());
        }
        REQUIRE(q.stage(q.next_name(2, 1, 2), "never committed"));
    }
    // Staged and never committed (the process ending): removed from tmp/, never in new/.
    CHECK(names_in(dir / "tmp").empty());
    CHECK(names_in(dir / "new").empty());
}
