using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// Spectre's help, except that a branch with a default command (<c>bench</c>, whose default runs the workloads and
/// whose sub-command is <c>bench serve</c>) lists its default command's options: those are what <c>mlnetrnn bench</c>
/// accepts, while the branch itself has none.
/// </summary>
public sealed class BranchHelpProvider(ICommandAppSettings settings) : HelpProvider(settings)
{
    /// <inheritdoc/>
    public override IEnumerable<IRenderable> GetOptions(ICommandModel model, ICommandInfo? command) =>
        base.GetOptions(model, command is { IsBranch: true, DefaultCommand: { } defaultCommand } ? defaultCommand : command);
}
