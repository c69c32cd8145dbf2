using Spectre.Console;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>Turns user errors into one line on stderr and a non-zero exit code.</summary>
public static class CliErrors
{
    /// <summary>Exit code for a user error (bad option, missing or malformed file).</summary>
    public const int UserError = 2;

    /// <summary>Runs <paramref name="app"/>; a user error prints <c>mlnetrnn: message</c> on stderr and
    /// returns <see cref="UserError"/>, anything else (a bug) propagates with its stack trace.</summary>
    public static int Run(CommandApp app, string[] args)
    {
        app.Configure(config =>
        {
            config.PropagateExceptions();
        });
        try
        {
            return app.Run(args);
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"mlnetrnn: {Describe(e)}");
            return UserError;
        }
    }

    private static bool IsUserError(Exception e) => e is CommandParseException or CommandRuntimeException
        or ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException
        or InvalidDataException or UnauthorizedAccessException or InvalidOperationException;

    private static string Describe(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ").Trim();
        return e is CommandParseException or CommandRuntimeException ? Markup.Remove(message) : message;
    }
}
