namespace MlNetRnn.Data;

/// <summary>
/// One tagged sentence: <see cref="Tokens"/>[i] carries the tag <see cref="Tags"/>[i].
/// ML.NET loads both properties as variable-length vectors of text (<c>Vector&lt;String&gt;</c>, size 0).
/// </summary>
public sealed class TaggedSentence
{
    /// <summary>The word forms, in sentence order.</summary>
    public string[] Tokens { get; set; } = [];

    /// <summary>One tag per token (same length as <see cref="Tokens"/>).</summary>
    public string[] Tags { get; set; } = [];
}
