using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>Names of the helper columns and CustomMapping contracts of the persisted chain. Part of the
/// file format: changing any of them breaks loading of saved models, so they are versioned.</summary>
internal static class TaggerContract
{
    public const string KeyContractName = "MlNetRnn.SequenceTagger.Key.v1";
    public const string TagContractName = "MlNetRnn.SequenceTagger.Tag.v1";

    /// <summary>The constant text that the key mapping emits and the ValueMapping maps to the payload.</summary>
    public const string ModelKey = "model";

    public const string TokensColumn = "__MlNetRnn.SequenceTagger.v1.Tokens";
    public const string KeyColumn = "__MlNetRnn.SequenceTagger.v1.Key";
    public const string PayloadColumn = "__MlNetRnn.SequenceTagger.v1.Payload";
    public const string TagsColumn = "__MlNetRnn.SequenceTagger.v1.Tags";
    public const string ScoreColumn = "__MlNetRnn.SequenceTagger.v1.Score";
    public const string ProbabilitiesColumn = "__MlNetRnn.SequenceTagger.v1.Probabilities";
}

/// <summary>Input of the key mapping: nothing is read (the key is constant).</summary>
internal sealed class SequenceTaggerKeyInput
{
}

/// <summary>Output of the key mapping: the constant key that the ValueMapping turns into the payload.</summary>
internal sealed class SequenceTaggerKeyOutput
{
    /// <summary>Always <c>"model"</c>.</summary>
    [ColumnName(TaggerContract.KeyColumn)]
    public string Key { get; set; } = TaggerContract.ModelKey;
}

/// <summary>Input row of the tagging CustomMapping (plumbing of the persisted chain; not for direct use).</summary>
internal sealed class SequenceTaggerMappingInput
{
    /// <summary>Tokens of one sentence.</summary>
    [ColumnName(TaggerContract.TokensColumn)]
    public string[]? Tokens { get; set; }

    /// <summary>The model payload (kept as memory: it is large and must not be copied per row).</summary>
    [ColumnName(TaggerContract.PayloadColumn)]
    public ReadOnlyMemory<char> Payload { get; set; }
}

/// <summary>Output row of the tagging CustomMapping (plumbing of the persisted chain; not for direct use).</summary>
internal sealed class SequenceTaggerMappingOutput
{
    /// <summary>Predicted tag per token.</summary>
    [ColumnName(TaggerContract.TagsColumn)]
    public string[] Tags { get; set; } = [];

    /// <summary>Probability of the predicted tag per token.</summary>
    [ColumnName(TaggerContract.ScoreColumn)]
    public float[] Score { get; set; } = [];

    /// <summary>(tokens × tags) distribution, row-major.</summary>
    [ColumnName(TaggerContract.ProbabilitiesColumn)]
    public float[] Probabilities { get; set; } = [];
}

/// <summary>Emits the constant model key. Created by ML.NET (by contract name) when a model is loaded.</summary>
[CustomMappingFactoryAttribute(TaggerContract.KeyContractName)]
internal sealed class SequenceTaggerKeyMappingFactory : CustomMappingFactory<SequenceTaggerKeyInput, SequenceTaggerKeyOutput>
{
    /// <inheritdoc />
    public override Action<SequenceTaggerKeyInput, SequenceTaggerKeyOutput> GetMapping() => Map;

    internal static void Map(SequenceTaggerKeyInput input, SequenceTaggerKeyOutput output) => output.Key = TaggerContract.ModelKey;
}

/// <summary>Tags a sentence with the network carried by the payload column. Created by ML.NET (by contract
/// name) when a model is loaded; holds no state of its own beyond a per-mapping reference to the live
/// network, which is decoded once per model id (see <see cref="TaggerNetworkCache"/>).</summary>
[CustomMappingFactoryAttribute(TaggerContract.TagContractName)]
internal sealed class SequenceTaggerMappingFactory : CustomMappingFactory<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>
{
    /// <inheritdoc />
    public override Action<SequenceTaggerMappingInput, SequenceTaggerMappingOutput> GetMapping() => new Mapper().Map;

    /// <summary>One mapping delegate: remembers the last resolved network (thread-safe: the pair is
    /// swapped atomically as one immutable object).</summary>
    internal sealed class Mapper
    {
        private sealed record Resolved(string ModelId, SequenceTaggerNetwork Network);
        private Resolved? _resolved;

        public Mapper() { }

        public Mapper(string modelId, SequenceTaggerNetwork network) => _resolved = new Resolved(modelId, network);

        public void Map(SequenceTaggerMappingInput input, SequenceTaggerMappingOutput output)
        {
            var network = Resolve(input.Payload.Span);
            var tokens = input.Tokens ?? [];
            if (tokens.Length == 0)
            {
                output.Tags = [];
                output.Score = [];
                output.Probabilities = [];
                return;
            }
            var tagging = network.Predict([tokens])[0];
            output.Tags = tagging.Tags;
            output.Score = tagging.Scores;
            output.Probabilities = tagging.Distribution;
        }

        internal SequenceTaggerNetwork Resolve(ReadOnlySpan<char> payload)
        {
            var (modelId, _) = TaggerPayload.ReadHeader(payload);
            var resolved = Volatile.Read(ref _resolved);
            if (resolved is not null && string.Equals(resolved.ModelId, modelId, StringComparison.Ordinal))
                return resolved.Network;
            var network = TaggerNetworkCache.GetOrDecode(modelId, payload);
            Volatile.Write(ref _resolved, new Resolved(modelId, network));
            return network;
        }
    }
}
