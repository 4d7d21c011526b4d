#include "run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace vesper::test {

std::vector<std::string> environment_for(const ProcessOptions& opts) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& k : opts.unset_env)
        env.erase(k);
    for (const auto& [k, v] : opts.env)
        env[k] = v;
    std::vector<std::string> out;
    for (const auto& [k, v] : env)
        out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts) {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    // O_CLOEXEC: children forked concurrently from other test threads must not inherit these pipes.
    if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
        throw std::runtime_error("pipe failed");
    // Everything the child needs is prepared before fork: after fork in a threaded test only
    // async-signal-safe calls are allowed.
    std::vector<std::string> argv_strings = argv, env_strings = environment_for(opts);
    const std::vector<char*> args = c_strings(argv_strings), envp = c_strings(env_strings);

    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
            close(fd);
        if (!opts.cwd.empty() && chdir(opts.cwd.c_str()) != 0) _exit(127);
        execve(args[0], args.data(), envp.data());
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);

    // Feed stdin then close it, so the child never waits on us. (A large stdin_data could fill the
    // pipe before the child reads; tests pass small inputs.)
    signal(SIGPIPE, SIG_IGN);
    std::size_t written = 0;
    while (written < opts.stdin_data.size()) {
        ssize_t n = write(in_pipe[1], opts.stdin_data.data() + written, opts.stdin_data.size() - written);
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    close(in_pipe[1]);

    ProcessResult r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.timeout_ms);
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        int rc = poll(fds, 2, static_cast<int>(left.count()));
        if (rc < 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            } else {
                (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    return r;
}

ProcessResult vesperctl(const std::vector<std::string>& args, const ProcessOptions& opts) {
    std::vector<std::string> argv{VESPERCTL_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, opts);
}

ProcessOptions isolated_in(const std::filesystem::path& dir) {
    ProcessOptions o;
    o.cwd = dir;
    o.unset_env = {"VESPER_HOME", "VESPER_MQTT_SECRET", "VESPER_CONFIG", "XDG_DATA_HOME"};
    // The default ledger lives in the user's data folder: keep the tester's own out of reach.
    o.env["HOME"] = dir.string();
    o.env["VESPER_OPERATOR"] = "cli-test";
    return o;
}

std::filesystem::path default_ledger_in(const std::filesystem::path& dir) {
    return dir / ".local" / "share" / "vesper" / "ledger.db";
}

} // namespace vesper::test
