#include "server/metrics/metrics_http_server.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include <exception>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/string_view_compat.h"
#include "httplib.h"

namespace rapport::server {
namespace {

// What Prometheus servers and client libraries send for text format 0.0.4.
constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct HostPort {
  std::string host;  // without the brackets of an IPv6 literal
  int port = 0;
};

absl::StatusOr<HostPort> ParseAddress(std::string_view address) {
  const auto malformed = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("metrics address \"", AV(address), "\" ",
                                                   AV(why),
                                                   "; expected host:port, e.g. "
                                                   "127.0.0.1:9464, [::1]:9464, or port 0 to let "
                                                   "the system choose"));
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return malformed("has no port");
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return malformed("has an IPv6 host without brackets");
  }
  if (host.empty()) return malformed("has no host");
  int port = 0;
  if (!absl::SimpleAtoi(AV(address.substr(colon + 1)), &port) || port < 0 || port > 65535) {
    return malformed("has a port that is not a number from 0 to 65535");
  }
  return HostPort{std::string(host), port};
}

// Replaces httplib's default socket options, which set SO_REUSEPORT: with it a second server
// (another rapportd) could bind the same port and silently take half of the scrapes.
// SO_REUSEADDR alone still allows a restart while old connections are in TIME_WAIT.
void SetListenSocketOptions(socket_t socket) {
  int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

}  // namespace

struct MetricsHttpServer::Impl {
  httplib::Server http;
  std::function<std::string()> render;
  std::string address;
  int port = 0;
  std::thread listener;

  absl::Mutex stop_mutex;  // serialises Stop calls
  absl::Mutex mutex;
  bool listener_done ABSL_GUARDED_BY(mutex) = false;
};

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    std::string address, std::function<std::string()> render) {
  if (!render) return absl::InvalidArgumentError("metrics HTTP server: no render function given");
  absl::StatusOr<HostPort> host_port = ParseAddress(address);
  if (!host_port.ok()) return host_port.status();

  // httplib may throw (std::system_error creating threads, std::bad_alloc); nothing escapes.
  try {
    auto impl = std::make_unique<Impl>();
    impl->render = std::move(render);
    Impl* self = impl.get();  // outlives the server: Stop joins every httplib thread first
    impl->http.Get("/metrics", [self](const httplib::Request&, httplib::Response& response) {
      try {
        response.set_content(self->render(), kContentType);
      } catch (const std::exception& e) {
        response.status = 500;
        response.set_content(absl::StrCat("rendering metrics failed: ", e.what(), "\n"),
                             "text/plain");
      }
    });
    impl->http.set_error_handler([](const httplib::Request&, httplib::Response& response) {
      if (response.status == 404) {
        response.set_content("not found: this server serves only GET /metrics\n", "text/plain");
      }
    });
    impl->http.set_socket_options(SetListenSocketOptions);
    // Two workers are plenty for scrapes (httplib's default is at least eight threads).
    // httplib's factory hands ownership over as a raw pointer, which it deletes.
    impl->http.new_task_queue = [] { return std::make_unique<httplib::ThreadPool>(2).release(); };
    // Stop waits for a worker idling on a keep-alive connection; keep that wait short.
    impl->http.set_keep_alive_timeout(1);

    errno = 0;
    int port = host_port->port;
    bool bound;
    if (port == 0) {
      port = impl->http.bind_to_any_port(host_port->host);
      bound = port > 0;
    } else {
      bound = impl->http.bind_to_port(host_port->host, port);
    }
    if (!bound) {
      // httplib reports only failure; errno still holds bind's (or getaddrinfo's) reason.
      const int bind_errno = errno;
      return absl::UnavailableError(absl::StrCat(
          "cannot serve metrics on ", address, ": ",
          bind_errno == EADDRINUSE ? "the address is already in use (another rapportd or "
                                     "another program); choose another port, or 0 to let the "
                                     "system choose"
          : bind_errno != 0
              ? absl::StrCat(std::generic_category().message(bind_errno),
                             " (is the host an address of this machine?)")
              : std::string("the host does not resolve to an address of this machine")));
    }
    impl->port = port;
    impl->address = host_port->host.find(':') != std::string::npos
                        ? absl::StrCat("[", host_port->host, "]:", port)
                        : absl::StrCat(host_port->host, ":", port);
    // The owner exists before the thread does, so a failure from here on still stops cleanly.
    auto server = std::make_unique<MetricsHttpServer>(std::move(impl));
    self->listener = std::thread([self] {
      try {
        self->http.listen_after_bind();
      } catch (const std::exception& e) {
        // httplib starts its worker threads here; if that fails the endpoint is simply down.
        fprintf(stderr, "rapport: metrics HTTP server on %s stopped: %s\n", self->address.c_str(),
                e.what());
      }
      absl::MutexLock lock(&self->mutex);
      self->listener_done = true;
    });
    return server;
  } catch (const std::exception& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start the metrics HTTP server on ", address, ": ", e.what()));
  }
}

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

int MetricsHttpServer::port() const { return impl_->port; }

const std::string& MetricsHttpServer::address() const { return impl_->address; }

void MetricsHttpServer::Stop() {
  absl::MutexLock stop_lock(&impl_->stop_mutex);
  if (!impl_->listener.joinable()) return;
  {
    absl::MutexLock lock(&impl_->mutex);
    // httplib's stop() does nothing until its accept loop has begun, and the listener thread
    // may not have got there yet; there is no way to wait for that, so stop is repeated until
    // the loop has ended. Repeats after the first effective one are harmless no-ops.
    while (!impl_->listener_done) {
      impl_->http.stop();
      impl_->mutex.AwaitWithTimeout(absl::Condition(&impl_->listener_done), absl::Milliseconds(20));
    }
  }
  impl_->listener.join();
}

}  // namespace rapport::server
