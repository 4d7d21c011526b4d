#pragma once
// libserialport's error codes in words, for messages (the library's own text where it has one).
#include <libserialport.h>

#include <string>

namespace vesper::esp::detail {

inline std::string sp_why(sp_return r) {
    switch (r) {
    case SP_ERR_ARG: return "invalid argument (libserialport does not know this port)";
    case SP_ERR_MEM: return "out of memory";
    case SP_ERR_SUPP: return "not supported by libserialport";
    case SP_ERR_FAIL: {
        char* m = sp_last_error_message();
        std::string s = m != nullptr && *m != '\0' ? m : "failed";
        sp_free_error_message(m);
        return s;
    }
    default: return "ok";
    }
}

} // namespace vesper::esp::detail
