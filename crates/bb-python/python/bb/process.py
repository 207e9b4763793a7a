"""`bb.process`: running commands, with BitBake's exceptions."""

import subprocess

import bb


class CmdError(RuntimeError):
    def __init__(self, command, msg=None):
        self.command = command
        self.msg = msg

    def __str__(self):
        cmd = self.command if isinstance(self.command, str) else " ".join(self.command)
        text = "Execution of '%s' failed" % cmd
        if self.msg:
            text += ": %s" % self.msg
        return text


class NotFoundError(CmdError):
    def __str__(self):
        return CmdError.__str__(self) + ": command not found"


class ExecutionError(CmdError):
    def __init__(self, command, exitcode, stdout=None, stderr=None):
        CmdError.__init__(self, command)
        self.exitcode = exitcode
        self.stdout = stdout
        self.stderr = stderr
        self.extra_message = None

    def __str__(self):
        message = ""
        if self.stderr:
            message += self.stderr
        if self.stdout:
            message += self.stdout
        if message:
            message = ":\n" + message
        return (CmdError.__str__(self) + " with exit code %s" % self.exitcode + message
                + (self.extra_message or ""))


class Popen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        options = {
            "close_fds": True,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.STDOUT,
            "stdin": subprocess.PIPE,
            "shell": False,
        }
        options.update(kwargs)
        subprocess.Popen.__init__(self, *args, **options)


def run(cmd, input=None, log=None, extrafiles=None, **options):
    """Runs `cmd` (a string runs in the shell); returns (stdout, stderr) as text,
    raising ExecutionError on a non-zero exit and NotFoundError when the command is
    missing."""
    if isinstance(cmd, str) and "shell" not in options:
        options["shell"] = True
    try:
        pipe = Popen(cmd, **options)
    except OSError as exc:
        if exc.errno == 2:
            raise NotFoundError(cmd)
        raise CmdError(cmd, exc)
    stdout, stderr = pipe.communicate(input.encode() if isinstance(input, str) else input)
    stdout = stdout.decode("utf-8", errors="replace") if stdout is not None else ""
    stderr = stderr.decode("utf-8", errors="replace") if stderr is not None else ""
    if pipe.returncode != 0:
        if log:
            log.write(stdout)
        raise ExecutionError(cmd, pipe.returncode, stdout, stderr)
    return stdout, stderr
