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
/// network, which is decoded once per payload content (see <see cref="TaggerNetworkCache"/>).</summary>
[CustomMappingFactoryAttribute(TaggerContract.TagContractName)]
internal sealed class SequenceTaggerMappingFactory : CustomMappingFactory<SequenceTaggerMappingInput, SequenceTaggerMappingOutput>
{
    /// <inheritdoc />
    public override Action<SequenceTaggerMappingInput, SequenceTaggerMappingOutput> GetMapping() => new Mapper().Map;

    /// <summary>One mapping delegate: remembers the last resolved payload and its network (thread-safe: the
    /// pair is swapped atomically as one immutable object).</summary>
    internal sealed class Mapper
    {
        /// <summary>The payload text last resolved (empty until the first row) and its network.</summary>
        private sealed record Resolved(ReadOnlyMemory<char> Payload, SequenceTaggerNetwork Network);

        private Resolved? _resolved;
        private readonly (string ModelId, SequenceTaggerNetwork Network)? _trained;

        public Mapper() { }

        /// <summary>The mapping of a transformer that has just trained <paramref name="network"/>: the first
        /// payload it sees carrying <paramref name="modelId"/> is its own (encoded from that network in the same
        /// constructor), so it is not decoded again.</summary>
        public Mapper(string modelId, SequenceTaggerNetwork network) => _trained = (modelId, network);

        public void Map(SequenceTaggerMappingInput input, SequenceTaggerMappingOutput output)
        {
            var network = Resolve(input.Payload);
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

        /// <summary>The network of <paramref name="payload"/>. The same payload as the last row is recognised by
        /// identity (an immutable string at the same place) or by content, never by its model id alone.</summary>
        internal SequenceTaggerNetwork Resolve(ReadOnlyMemory<char> payload)
        {
            var resolved = Volatile.Read(ref _resolved);
            if (resolved is not null && IsSamePayload(resolved.Payload, payload))
                return resolved.Network;
            SequenceTaggerNetwork network;
            if (resolved is null && _trained is { } trained
                && string.Equals(TaggerPayload.ReadHeader(payload.Span).ModelId, trained.ModelId, StringComparison.Ordinal))
                network = trained.Network;
            else
                network = TaggerNetworkCache.GetOrDecode(payload.Span);
            Volatile.Write(ref _resolved, new Resolved(payload, network));
            return network;
        }

        private static bool IsSamePayload(ReadOnlyMemory<char> known, ReadOnlyMemory<char> payload)
        {
            if (known.Length != payload.Length) return false;
            // Strings are immutable: the same string at the same offset is the same text.
            if (System.Runtime.InteropServices.MemoryMarshal.TryGetString(known, out var a, out int aStart, out _)
                && System.Runtime.InteropServices.MemoryMarshal.TryGetString(payload, out var b, out int bStart, out _)
                && ReferenceEquals(a, b) && aStart == bStart)
                return true;
            return known.Span.SequenceEqual(payload.Span);
        }
    }
}
