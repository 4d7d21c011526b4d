#pragma once
// Closing a client's connection from inside a handler, with no response: the drop faults. cpp-httplib
// has no call for it, so the request's socket is shut down under it; the library's write then fails
// and it closes the connection, and the client sees the connection end without an answer.
#include <httplib.h>

namespace vesper::backend {

// Shuts the request's socket down (both directions). False when the socket could not be found.
bool drop_connection(const httplib::Request& req);

} // namespace vesper::backend
