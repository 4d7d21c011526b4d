#pragma once
// --log FILE: one JSON object per request (time, method, path, status, key, fault, ms, replayed), so a
// test or a demo can see what the server was asked and what it did. Never the token or a body.
#include <cstdio>
#include <mutex>
#include <string>

namespace vesper::backend {

struct LogEntry {
    std::string method;
    std::string path;
    int status = 0; // 0: no answer (the connection was dropped)
    std::string key;
    std::string fault; // "none", "outage", "drop", "fail", "throttle", "drop_after_write"
    double ms = 0;     // from arrival to the response being decided (latency included, slow body not)
    bool replayed = false;
};

class RequestLog {
public:
    // Appends to `path`; an empty path logs nothing. Throws Error(io) naming it.
    explicit RequestLog(const std::string& path);
    ~RequestLog();
    RequestLog(const RequestLog&) = delete;
    RequestLog& operator=(const RequestLog&) = delete;

    void write(const LogEntry& entry);

private:
    std::FILE* file_ = nullptr;
    std::mutex mutex_;
};

} // namespace vesper::backend
