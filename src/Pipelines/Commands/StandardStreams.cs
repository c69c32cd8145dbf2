using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// Standard input and output for commands that stream: output whose write errors are reported (.NET's
/// Console ignores a broken pipe on Unix, so `mlnetrnn predict | head -1` would run on for ever), and a
/// check that standard input was open when the program started.
/// </summary>
public static class StandardStreams
{
    private const int EPIPE = 32;
    private const int FGetFd = 1;
    private const int FdCloExec = 1;

    /// <summary>Standard output as a buffered writer (the caller flushes) whose failures raise
    /// <see cref="IOException"/> saying "cannot write to standard output" (a broken pipe included).</summary>
    public static TextWriter OpenOutput()
    {
        Stream stream = OperatingSystem.IsWindows()
            ? Console.OpenStandardOutput()
            : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        return new ReportingWriter(new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 65536));
    }

    /// <summary>Names standard output in the message of any write failure.</summary>
    private sealed class ReportingWriter(StreamWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        [System.Diagnostics.CodeAnalysis.AllowNull]
        public override string NewLine { get => "\n"; set { } }

        public override void Write(char value) => Guard(() => inner.Write(value));

        public override void Write(string? value) => Guard(() => inner.Write(value));

        public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

        public override void WriteLine(string? value) => Guard(() => { inner.Write(value); inner.Write('\n'); });

        public override void Flush() => Guard(inner.Flush);

        protected override void Dispose(bool disposing)
        {
            if (disposing) Guard(inner.Dispose);
            base.Dispose(disposing);
        }

        private static void Guard(Action write)
        {
            try
            {
                write();
            }
            catch (IOException e)
            {
                throw new IOException($"cannot write to standard output: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Standard input, or <see cref="Commands.UsageException"/> when it was closed at start (<c>&lt;&amp;-</c>).
    /// On Unix a closed descriptor 0 is soon reused by a file the runtime opens itself (always close-on-exec),
    /// and reading that would block for ever; an inherited standard input is never close-on-exec.
    /// </summary>
    public static TextReader OpenInput()
    {
        if (!OperatingSystem.IsWindows())
        {
            int flags = Fcntl(0, FGetFd);
            if (flags == -1 || (flags & FdCloExec) != 0)
                throw new UsageException("standard input is closed; give sentences on standard input or with --input");
        }
        return Console.In;
    }

    /// <summary>True for a write to a pipe whose reader has gone.</summary>
    public static bool IsBrokenPipe(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException io && (io.HResult == EPIPE || io.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase)))
                return true;
        }
        return false;
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command);
}
