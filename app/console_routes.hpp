// HTTP routes of the web console (console/): GET / and GET /console/{file}.
// The files are compiled into the binary (cmake/embed_console.cmake), so the
// node needs no file paths at run time.
#pragma once

#include <string_view>
#include <vector>

namespace ledgerd::http {
class server;
} // namespace ledgerd::http

namespace ledgerd {

/// One embedded console file.
struct console_asset {
  /// File name inside console/, e.g. "app.js".
  std::string_view name;

  /// The file's bytes.
  std::string_view content;
};

/// Every embedded console file, sorted by name (generated code).
const std::vector<console_asset>& console_assets();

/// GET /: the console page (index.html).
/// GET /console/{file}: its scripts and style sheets with their Content-Type;
/// 404 for any other name.
/// No authentication: the files hold no data; the page asks the /v1 API for
/// it with the user's bearer token. Served with `Cache-Control: no-cache`.
void add_console_routes(http::server& srv);

} // namespace ledgerd
