namespace MlNetRnn.Models.Serialization;

/// <summary>Bounds on what a model config and a model file may hold, checked before anything is allocated for it
/// (see docs/model-file-format.md). Each is far above what a real model needs.</summary>
internal static class ModelFileLimits
{
    /// <summary>UTF-8 bytes of the config JSON.</summary>
    public const int MaxConfigBytes = 16 << 20;

    /// <summary>Nesting depth of the config JSON.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Entries in a config's layer list, inputs included.</summary>
    public const int MaxLayers = 4_096;

    /// <summary>Layer calls in a functional config, all layers together.</summary>
    public const int MaxCalls = 16_384;

    /// <summary>Inputs of one layer call (e.g. a Concatenate).</summary>
    public const int MaxCallInputs = 1_024;

    /// <summary>Weights in a file.</summary>
    public const int MaxWeights = 100_000;

    /// <summary>UTF-8 bytes of a weight's name.</summary>
    public const int MaxNameBytes = 1_024;

    /// <summary>Rank of a weight.</summary>
    public const int MaxRank = 8;

    /// <summary>Values in one weight (a .NET array's limit).</summary>
    public const long MaxWeightValues = int.MaxValue;

    /// <summary>Values in all of a model's weights together (8 GiB of float32).</summary>
    public const long MaxModelValues = 1L << 31;
}
