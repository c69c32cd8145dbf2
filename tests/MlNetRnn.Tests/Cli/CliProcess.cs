using System.Diagnostics;

namespace MlNetRnn.Tests.Cli;

/// <summary>The outcome of one run of the command line.</summary>
internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>The non-empty lines written to stderr.</summary>
    public string[] ErrorLines => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}

/// <summary>Assertions on command-line runs.</summary>
internal static class CliAssert
{
    /// <summary>Exit code 2 and nothing but <paramref name="expected"/> (after <c>mlnetrnn: </c>) on stderr.</summary>
    public static void UserError(CliResult result, string expected)
    {
        Assert.AreEqual(2, result.ExitCode, result.ToString());
        Assert.HasCount(1, result.ErrorLines, result.ToString());
        Assert.AreEqual($"mlnetrnn: {expected}", result.ErrorLines[0], result.ToString());
    }
}

/// <summary>Runs the built <c>mlnetrnn</c> in a separate process, as a user would.</summary>
internal static class CliProcess
{
    private static readonly Lazy<string> Dll = new(FindDll);

    /// <summary>Runs <c>mlnetrnn args</c>, feeding <paramref name="stdin"/> if given; fails the test after 2 minutes.</summary>
    public static CliResult Run(string? stdin, params string[] args)
    {
        var dll = Dll.Value;
        // The app host next to the dll is the "mlnetrnn" executable; `dotnet dll` is the portable fallback.
        var host = Path.Combine(Path.GetDirectoryName(dll)!, OperatingSystem.IsWindows() ? "mlnetrnn.exe" : "mlnetrnn");
        var start = File.Exists(host) ? new ProcessStartInfo(host) : new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        // Read both streams concurrently so neither pipe can fill up and block the child.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null) process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command refused the input and ended before reading all of it.
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mlnetrnn {string.Join(' ', args)} did not finish in 2 minutes");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a bash <paramref name="script"/> in which <c>$MLNETRNN</c> is the command line (for pipes
    /// and closed descriptors); fails the test if it has not ended after 2 minutes (a hang guard, not a timing).</summary>
    public static CliResult RunShell(string script)
    {
        var dll = Dll.Value;
        var host = Path.Combine(Path.GetDirectoryName(dll)!, "mlnetrnn");
        var start = new ProcessStartInfo("bash") { ArgumentList = { "-c", script } };
        start.Environment["MLNETRNN"] = File.Exists(host) ? host : $"dotnet {dll}";
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"bash -c '{script}' did not finish in 2 minutes");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The Pipelines build output of the same configuration as the tests (bin/&lt;config&gt;/&lt;tfm&gt;),
    /// else the copy in the test output folder.</summary>
    private static string FindDll()
    {
        const string name = "MlNetRnn.Pipelines.dll";
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (tfm, config) = (testDir.Name, testDir.Parent?.Name ?? "");
        for (var dir = testDir; dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "MlNetRnn.sln"))) continue;
            var built = Path.Combine(dir.FullName, "src", "Pipelines", "bin", config, tfm, name);
            if (File.Exists(built)) return built;
            break;
        }
        var local = Path.Combine(AppContext.BaseDirectory, name);
        return File.Exists(local) ? local : throw new FileNotFoundException($"{name} not found; build src/Pipelines first");
    }
}
