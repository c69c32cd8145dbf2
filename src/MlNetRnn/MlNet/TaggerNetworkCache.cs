using System.Collections.Concurrent;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Process-wide cache of live networks by model id, so a payload is decoded once and not once per row.
/// Entries are weak: a network lives as long as some transformer (or row mapper) holds it; a later use of
/// the same payload after that decodes it again.
/// </summary>
internal static class TaggerNetworkCache
{
    private static readonly ConcurrentDictionary<string, WeakReference<SequenceTaggerNetwork>> Networks = new(StringComparer.Ordinal);
    private static readonly object DecodeLock = new();

    /// <summary>Makes a network that is already live (just trained) known under its model id.</summary>
    public static void Register(string modelId, SequenceTaggerNetwork network) =>
        Networks[modelId] = new WeakReference<SequenceTaggerNetwork>(network);

    /// <summary>The live network for a payload: from the cache, or decoded (once, under a lock).</summary>
    public static SequenceTaggerNetwork GetOrDecode(string modelId, ReadOnlySpan<char> payload)
    {
        if (TryGet(modelId, out var network)) return network;
        lock (DecodeLock)
        {
            if (TryGet(modelId, out network)) return network;
            network = TaggerPayload.Decode(payload);
            Register(modelId, network);
            PruneDead();
            return network;
        }
    }

    private static bool TryGet(string modelId, out SequenceTaggerNetwork network)
    {
        network = null!;
        return Networks.TryGetValue(modelId, out var weak) && weak.TryGetTarget(out network!);
    }

    private static void PruneDead()
    {
        foreach (var (id, weak) in Networks)
            if (!weak.TryGetTarget(out _)) Networks.TryRemove(KeyValuePair.Create(id, weak));
    }
}
