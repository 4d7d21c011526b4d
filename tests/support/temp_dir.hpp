#pragma once
// Test support: a fresh folder under the system temp dir, removed when the object goes away.
#include <filesystem>
#include <string>

namespace vesper::test {

// A fresh folder under the system temp dir, removed when the object goes away.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// What a file holds, "" when it cannot be read (unlike vesper::read_text_file, a missing file is an
// answer a test compares, not an error).
std::string text_of(const std::filesystem::path& file);

} // namespace vesper::test
