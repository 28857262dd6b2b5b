// rapportd: the Rapport sync server. Serves the Sync service on --listen with the store in
// --data until SIGTERM or SIGINT, then shuts down gracefully (running calls get a deadline) and
// closes the store. --config FILE (server_config.proto, text format) sets the rest; --listen
// and --data override it. These flag names are a contract for operators' scripts.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/rapportd_start.h"
#include "server/server_auth.h"
#include "server/server_config.h"

int main(int argc, char** argv) {
  // gRPC, the worker pool and the committer allocate on many threads; glibc's default of up to
  // eight arenas per core keeps freed memory in each, and the soak's RSS ran at several times
  // the live heap (docs/benchmarks.md, "Soak"). Two arenas trade a little lock contention for
  // memory that is reused.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"rapportd: the Rapport sync server"};
  rapport::server::ServerOptions options;
  options.listen = "127.0.0.1:7420";
  options.data_dir = "./rapport-data";
  int grace_ms = 5000;
  std::string config_file, listen, data_dir, metrics_listen;
  app.add_option("--config", config_file, "configuration file (text proto, ServerConfig)")
      ->check(CLI::ExistingFile);
  app.add_option("--listen", listen,
                 "host:port to listen on (port 0: any free port) [default: 127.0.0.1:7420]");
  app.add_option("--data", data_dir,
                 "store directory, created if absent [default: ./rapport-data]");
  app.add_option("--metrics-listen", metrics_listen,
                 "host:port of the Prometheus /metrics endpoint, or \"off\" [default: "
                 "127.0.0.1:7421; an OS-chosen port when --listen asks for port 0]");
  app.add_option("--shutdown-grace-ms", grace_ms, "time running calls get on shutdown")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  bool metrics_configured = false;
  if (!config_file.empty()) {
    options.metrics_listen = "unset";  // tells whether the file sets metrics_listen
    absl::Status applied = rapport::server::ApplyConfigFile(config_file, &options);
    if (!applied.ok()) {
      std::fprintf(stderr, "rapportd: %s\n", applied.ToString().c_str());
      return 2;
    }
    metrics_configured = options.metrics_listen != "unset";
    if (!metrics_configured) options.metrics_listen.clear();
  }
  if (!listen.empty()) options.listen = listen;
  if (!data_dir.empty()) options.data_dir = data_dir;
  if (metrics_listen == "off") {
    options.metrics_listen.clear();
  } else if (!metrics_listen.empty()) {
    options.metrics_listen = metrics_listen;
  } else if (!metrics_configured) {
    // Servers started on an OS-chosen port (tests, several on one machine) must not fight over
    // a fixed metrics port either.
    const bool any_port = options.listen.size() >= 2 &&
                          options.listen.compare(options.listen.size() - 2, 2, ":0") == 0;
    options.metrics_listen = any_port ? "127.0.0.1:0" : "127.0.0.1:7421";
  }
  // Block the signals before gRPC starts its threads, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto started = rapport::server::StartRapportd(options);
  if (!started.ok()) {
    std::fprintf(stderr, "rapportd: %s\n", started.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<rapport::server::SyncServer>& server = started->server;
  if (started->new_admin_token) {
    std::printf(
        "rapportd: new signing key %s/auth.key; admin token, valid %s (also in "
        "%s/admin.token):\n%s\n",
        options.data_dir.c_str(),
        absl::FormatDuration(rapport::server::kFirstStartAdminTokenLifetime).c_str(),
        options.data_dir.c_str(), started->new_admin_token->c_str());
  }
  if (!options.upstream.address.empty()) {
    std::printf("rapportd: upstream %s, schedule %s\n", options.upstream.address.c_str(),
                options.upstream.schedule.c_str());
  }
  if (server->metrics_port() > 0) {
    std::printf("rapportd: metrics on http://127.0.0.1:%d/metrics\n", server->metrics_port());
  }
  std::printf("rapportd listening on %s (data %s)\n", server->address().c_str(),
              options.data_dir.c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "rapportd: signal %d, shutting down\n", signal);
  server->Shutdown(grace_ms);
  server.reset();  // closes the store
  return 0;
}
