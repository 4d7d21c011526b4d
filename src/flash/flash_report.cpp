#include "vesper/flash/flash_report.hpp"

#include <cstdio>
#include <sstream>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

std::string region_text(const RegionResult& r, std::size_t count) {
    std::ostringstream out;
    char head[160];
    std::snprintf(head, sizeof head, "region %zu/%zu %s at %s: ", r.index + 1, count, r.name.c_str(),
                  hex32(r.address).c_str());
    out << head;
    if (!r.written) {
        out << "skipped, " << r.bytes << " bytes unchanged (MD5 matches)";
        return out.str();
    }
    char body[200];
    std::snprintf(body, sizeof body, "written %llu bytes (%llu compressed) in %.2f s, %.1f kbit/s, ",
                  static_cast<unsigned long long>(r.bytes), static_cast<unsigned long long>(r.compressed_bytes),
                  r.seconds, r.kbit_per_s());
    out << body;
    switch (r.verified) {
    case Verification::md5: out << "verified (MD5)"; break;
    case Verification::readback: out << "verified (read back)"; break;
    case Verification::not_possible: out << "NOT verified"; break;
    }
    if (!r.note.empty()) out << " [" << r.note << "]";
    return out.str();
}

nlohmann::json region_json(const RegionResult& r) {
    return {{"event", "region"},
            {"index", r.index},
            {"input", r.name},
            {"address", r.address},
            {"status", r.written ? "written" : "skipped"},
            {"bytes", r.bytes},
            {"compressed", r.compressed},
            {"compressed_bytes", r.compressed_bytes},
            {"seconds", r.seconds},
            {"kbit_s", r.kbit_per_s()},
            {"verified", r.verified == Verification::not_possible ? nlohmann::json(false) : nlohmann::json(true)},
            {"verify_method", to_string(r.verified)},
            {"note", r.note}};
}

std::string after_text(AfterFlash after) {
    switch (after) {
    case AfterFlash::hard_reset: return "reset into the application";
    case AfterFlash::soft_reset: return "the loader ran the application (soft reset)";
    case AfterFlash::watchdog_reset: return "reset by the RTC watchdog";
    case AfterFlash::stay: return "left in the loader";
    }
    return "";
}

} // namespace vesper::esp
