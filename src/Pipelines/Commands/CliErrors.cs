using MlNetRnn.Data;
using MlNetRnn.MlNet;
using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// Runs the command line and turns failures into one line on stderr. User errors (the command line, the
/// user's files and their I/O, data and model-file checks, training diverged under the user's settings) exit with
/// <see cref="UserError"/>; anything else is a bug in mlnetrnn: its message and <see cref="InternalError"/>, and the
/// stack trace with <c>--verbose</c>.
/// </summary>
public static class CliErrors
{
    /// <summary>Exit code for a user error (bad option, missing, unreadable or malformed file, failed write).</summary>
    public const int UserError = 2;

    /// <summary>Exit code for a bug.</summary>
    public const int InternalError = 1;

    /// <summary>The longest stderr line written; longer messages are cut (a file may hold a megabyte-long token).</summary>
    public const int MaxMessageLength = 1000;

    /// <summary>Runs <paramref name="app"/> on <paramref name="args"/> after <see cref="CommandLine.Check"/>.</summary>
    public static int Run(CommandApp app, IReadOnlyList<CommandLine.CommandSpec> commands, string[] args)
    {
        bool verbose = args.Contains("--verbose");
        args = args.Where(a => a != "--verbose").ToArray();
        app.Configure(config => config.PropagateExceptions());
        try
        {
            CommandLine.Check(commands, args);
            return app.Run(args);
        }
        catch (Exception e) when (StandardStreams.IsBrokenPipe(e))
        {
            return 0; // the reader of our output has gone (e.g. `| head -1`): stop quietly
        }
        catch (Exception e) when (IsUserError(e))
        {
            Write(Describe(e));
            if (verbose) Console.Error.WriteLine(e);
            return UserError;
        }
        catch (Exception e)
        {
            Write($"internal error: {e.GetType().Name}: {Describe(e)}{(verbose ? "" : " (run with --verbose for details)")}");
            if (verbose) Console.Error.WriteLine(e);
            return InternalError;
        }
    }

    /// <summary>Our own exceptions and those about the user's files; see the class summary.</summary>
    public static bool IsUserError(Exception e) => e is UsageException or CommandParseException or CommandRuntimeException
        or SequenceDataFormatException or InvalidDataException or IOException or UnauthorizedAccessException
        or TrainingDivergedException;

    /// <summary>Runs <paramref name="action"/>; an I/O failure it raises is rethrown with its message prefixed
    /// by <paramref name="option"/>, so the line names the option as well as the file.</summary>
    public static void ForOption(string option, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option} {e.Message}", e);
        }
    }

    private static void Write(string line)
    {
        if (line.Length > MaxMessageLength) line = line[..(MaxMessageLength - 1)] + "…";
        try
        {
            Console.Error.WriteLine($"mlnetrnn: {line}");
        }
        catch (IOException)
        {
            // stderr itself is gone; the exit code still tells
        }
    }

    /// <summary>An exception's message as one line for the user, without .NET's " (Parameter 'x')" suffix: the
    /// library's messages already say which setting they are about.</summary>
    public static string MessageOf(Exception e)
    {
        var message = e is ArgumentException { ParamName: { } name } argument
            ? argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
            : e.Message;
        return message.ReplaceLineEndings(" ").Trim();
    }

    private static string Describe(Exception e)
    {
        var message = MessageOf(e);
        // "Training diverged: …" reads as the CLI's other lines: "mlnetrnn: training diverged: …".
        if (e is TrainingDivergedException) return char.ToLowerInvariant(message[0]) + message[1..];
        if (e is not (CommandParseException or CommandRuntimeException)) return message;
        try
        {
            return Markup.Remove(message);
        }
        catch (InvalidOperationException)
        {
            return message; // not markup after all (e.g. an interval "[0, 1)"): the text as it is
        }
    }
}
