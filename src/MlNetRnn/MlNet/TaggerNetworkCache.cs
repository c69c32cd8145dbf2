using System.Collections.Concurrent;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Process-wide cache of live networks keyed by the content of their payload (SHA-256 of the payload text),
/// so a payload is decoded once and not once per row, and two files that merely carry the same model id
/// never share a network. Entries are weak: a network lives as long as some transformer (or row mapper)
/// holds it; a later use of the same payload after that decodes it again.
/// </summary>
internal static class TaggerNetworkCache
{
    private static readonly ConcurrentDictionary<string, WeakReference<SequenceTaggerNetwork>> Networks = new(StringComparer.Ordinal);
    private static readonly object DecodeLock = new();

    /// <summary>The live network for a payload: from the cache when the same payload text was decoded before
    /// and is still alive, else decoded (once, under a lock).</summary>
    public static SequenceTaggerNetwork GetOrDecode(ReadOnlySpan<char> payload)
    {
        // The header is checked first, so that a foreign or oversized payload is not hashed.
        TaggerPayload.ReadHeader(payload);
        var key = TaggerPayload.ContentKey(payload);
        if (TryGet(key, out var network)) return network;
        lock (DecodeLock)
        {
            if (TryGet(key, out network)) return network;
            network = TaggerPayload.Decode(payload);
            Networks[key] = new WeakReference<SequenceTaggerNetwork>(network);
            PruneDead();
            return network;
        }
    }

    private static bool TryGet(string key, out SequenceTaggerNetwork network)
    {
        network = null!;
        return Networks.TryGetValue(key, out var weak) && weak.TryGetTarget(out network!);
    }

    private static void PruneDead()
    {
        foreach (var (key, weak) in Networks)
            if (!weak.TryGetTarget(out _)) Networks.TryRemove(KeyValuePair.Create(key, weak));
    }
}
