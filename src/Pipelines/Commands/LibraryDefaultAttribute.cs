using System.ComponentModel;
using MlNetRnn.MlNet;

namespace MlNetRnn.Pipelines.Commands;

/// <summary>
/// The default of an option that is the library's own default for the same setting, read from a fresh
/// <see cref="SequenceTaggerOptions"/>, so that help and behaviour follow the library without a second copy of
/// the value.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LibraryDefaultAttribute : DefaultValueAttribute
{
    /// <param name="property">The name of a <see cref="SequenceTaggerOptions"/> property.</param>
    public LibraryDefaultAttribute(string property)
        : base((object?)null)
    {
        var info = typeof(SequenceTaggerOptions).GetProperty(property)
            ?? throw new ArgumentException($"SequenceTaggerOptions has no property '{property}'.", nameof(property));
        SetValue(info.GetValue(new SequenceTaggerOptions()));
    }
}
