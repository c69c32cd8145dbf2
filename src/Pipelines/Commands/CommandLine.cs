using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// Checks a command line before Spectre.Console.Cli binds it, so that every mistake is named the same way:
/// an unknown command, sub-command or option (with the closest valid one), a missing required option, a value that is
/// not a number or not one of the choices (naming the option), a missing value, a stray argument. Spectre's own
/// parsing is lenient about unknown options, which would otherwise be ignored.
/// </summary>
public static class CommandLine
{
    /// <summary>Options every command accepts.</summary>
    public static readonly string[] CommonOptions = ["--help", "-h", "--verbose"];

    /// <summary>One command: its name, one word or a command and its sub-command ("bench serve"), and its settings
    /// type (whose <see cref="CommandOptionAttribute"/>s are its options).</summary>
    public sealed record CommandSpec(string Name, Type Settings)
    {
        /// <summary>The words that name the command on the command line.</summary>
        public string[] Words => Name.Split(' ');
    }

    /// <summary>Throws <see cref="UsageException"/> for the first problem in <paramref name="args"/>. The command is
    /// the spec whose words lead <paramref name="args"/>, the longest if several do ("bench serve" before "bench").</summary>
    public static void Check(IReadOnlyList<CommandSpec> commands, IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "--help" or "-h" or "--version") return;
        var names = commands.Select(c => c.Words[0]).Distinct().ToArray();
        if (args[0].StartsWith('-'))
            throw new UsageException($"expected a command ({string.Join(", ", names)}) before '{Quote(args[0])}'");
        var command = commands.Where(c => args.Take(c.Words.Length).SequenceEqual(c.Words)).MaxBy(c => c.Words.Length)
            ?? throw new UsageException($"unknown command '{Quote(args[0])}'{Suggestion(args[0], names)}; commands: {string.Join(", ", names)}");
        int first = command.Words.Length;
        if (first < args.Count && !args[first].StartsWith('-') && SubCommandsOf(commands, command) is [_, ..] subCommands)
            throw new UsageException(
                $"{command.Name}: unknown sub-command '{Quote(args[first])}'{Suggestion(args[first], subCommands)}; sub-commands: {string.Join(", ", subCommands)}");
        var options = OptionsOf(command.Settings);
        var given = new HashSet<string>(StringComparer.Ordinal);
        for (int i = first; i < args.Count; i++)
        {
            var arg = args[i];
            if (CommonOptions.Contains(arg)) continue;
            if (!arg.StartsWith('-'))
                throw new UsageException($"{command.Name}: unexpected argument '{Quote(arg)}' (options take the form --name value)");
            var (name, inlineValue) = arg.IndexOf('=') is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (!options.TryGetValue(name, out var type))
                throw new UsageException(
                    $"{command.Name}: unknown option '{Quote(name)}'{Suggestion(name, options.Keys.Concat(CommonOptions))}");
            given.Add(name);
            if (type == typeof(bool))
            {
                if (inlineValue is not null && !bool.TryParse(inlineValue, out _))
                    throw new UsageException($"{name}: '{Quote(inlineValue)}' is not true or false");
                continue;
            }
            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && !IsNumber(args[i + 1])))
                    throw new UsageException($"{name}: a value is missing");
                value = args[++i];
            }
            CheckValue(name, value, Nullable.GetUnderlyingType(type) ?? type);
        }
        if (args.Contains("--help") || args.Contains("-h")) return;
        // Spectre's own wording, with the whole command name (Spectre names a sub-command by its last word only).
        foreach (var option in RequiredOptionsOf(command.Settings))
            if (!option.Names.Any(given.Contains))
                throw new UsageException($"Command '{command.Name}' is missing required option '{option.Name}'.");
    }

    /// <summary>The required options of a settings type: the name Spectre reports (the first long name) and every
    /// spelling with dashes.</summary>
    private static IEnumerable<(string Name, string[] Names)> RequiredOptionsOf(Type settings) =>
        settings.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => p.GetCustomAttribute<CommandOptionAttribute>())
            .OfType<CommandOptionAttribute>()
            .Where(o => o.IsRequired)
            .Select(o => (o.LongNames.FirstOrDefault() ?? o.ShortNames[0],
                o.LongNames.Select(n => $"--{n}").Concat(o.ShortNames.Select(n => $"-{n}")).ToArray()));

    /// <summary>The next words of the commands that extend <paramref name="command"/> by one word ("serve" for "bench").</summary>
    private static string[] SubCommandsOf(IReadOnlyList<CommandSpec> commands, CommandSpec command) =>
        commands.Where(c => c.Words.Length == command.Words.Length + 1 && c.Words.Take(command.Words.Length).SequenceEqual(command.Words))
            .Select(c => c.Words[^1]).ToArray();

    /// <summary>The value <paramref name="text"/> of option <paramref name="name"/>: a whole number, a number, or one of
    /// an enum's names (any case), as the option's type asks.</summary>
    private static void CheckValue(string name, string text, Type type)
    {
        if (type == typeof(int) && !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new UsageException(long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? $"{name}: '{Quote(text)}' is too large"
                : $"{name}: '{Quote(text)}' is not a whole number");
        if (type == typeof(double) && !IsNumber(text))
            throw new UsageException($"{name}: '{Quote(text)}' is not a number");
        if (type.IsEnum && !Enum.GetNames(type).Contains(text, StringComparer.OrdinalIgnoreCase))
            throw new UsageException($"{name}: '{Quote(text)}' is not one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}");
    }

    private static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>Long and short option names (with dashes) of a settings type, and each one's value type.</summary>
    public static Dictionary<string, Type> OptionsOf(Type settings)
    {
        var options = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } option) continue;
            foreach (var longName in option.LongNames) options[$"--{longName}"] = property.PropertyType;
            foreach (var shortName in option.ShortNames) options[$"-{shortName}"] = property.PropertyType;
        }
        return options;
    }

    /// <summary>" (did you mean 'x'?)" for the closest of <paramref name="candidates"/>, or "" when none is close.</summary>
    public static string Suggestion(string given, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Candidate: c, Distance: EditDistance(given.TrimStart('-'), c.TrimStart('-'))))
            .OrderBy(p => p.Distance).ThenBy(p => p.Candidate, StringComparer.Ordinal)
            .FirstOrDefault();
        int tolerance = Math.Max(1, best.Candidate is null ? 0 : best.Candidate.TrimStart('-').Length / 3);
        bool prefix = best.Candidate is not null && given.Length >= 3
            && best.Candidate.StartsWith(given, StringComparison.Ordinal);
        return best.Candidate is not null && (best.Distance <= tolerance || prefix) ? $" (did you mean '{best.Candidate}'?)" : "";
    }

    /// <summary>Levenshtein distance with adjacent transpositions (optimal string alignment).</summary>
    private static int EditDistance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>User input quoted in a message, cut to 80 characters.</summary>
    public static string Quote(string text) => MlNetRnn.Data.SequenceDataFormatException.Quote(text);
}

/// <summary>A mistake on the command line or in the user's input that the CLI itself detected.</summary>
public sealed class UsageException(string message) : Exception(message);
