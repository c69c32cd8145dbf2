using System.Text.Json.Nodes;
using MlNetRnn.Layers;

namespace MlNetRnn.Models.Serialization;

/// <summary>
/// The Keras-layout shapes of a layer's weights, derived from its config and input shapes alone, without building it.
/// <see cref="ModelFileReader"/> compares them with the sizes a file holds before any layer allocates, so a crafted
/// config (units 2^30) is refused instead of exhausting memory.
/// </summary>
/// <remarks>This repeats what each layer's <c>CreateWeights</c> knows; a test checks that the two agree for every
/// registered class. (Better: a <c>Layer.WeightShapes(inputShapes)</c> that <c>Build</c> also uses.) The recurrent
/// rules follow Keras (LSTM 4 gates, GRU 3 with <c>reset_after</c>'s two biases) for the layers being added.</remarks>
internal static class WeightShapes
{
    private delegate IReadOnlyList<long[]> Rule(LayerConfig config, long[] inputShape);

    private static readonly Dictionary<string, Rule> Rules = new(StringComparer.Ordinal)
    {
        ["Dense"] = (c, input) => WithBias(c, [input[^1], c.Int("units")], c.Int("units")),
        ["Embedding"] = (c, _) => [[c.Int("input_dim"), c.Int("output_dim")]],
        ["Conv1D"] = (c, input) => WithBias(c, [c.SingleInt("kernel_size"), input[^1], c.SingleInt("filters")], c.SingleInt("filters")),
        ["Dropout"] = (_, _) => [],
        ["Concatenate"] = (_, _) => [],
        ["GlobalMaxPooling1D"] = (_, _) => [],
        ["TimeDistributed"] = (c, input) => Of(c.Object("layer"), [input[1..]]) ?? throw UnknownInner(c),
        ["SimpleRNN"] = (c, input) => Recurrent(c, input, gates: 1),
        ["LSTM"] = (c, input) => Recurrent(c, input, gates: 4),
        ["GRU"] = (c, input) => Recurrent(c, input, gates: 3),
        ["Bidirectional"] = (c, input) =>
        {
            var forward = Of(c.Object("layer"), [input]) ?? throw UnknownInner(c);
            var backward = c.Json["backward_layer"] is JsonObject b ? Of(b, [input]) ?? throw UnknownInner(c) : forward;
            return [.. forward, .. backward];
        },
    };

    /// <summary>Whether <paramref name="className"/> has a rule.</summary>
    public static bool Knows(string className) => Rules.ContainsKey(className);

    /// <summary>The weight shapes of the layer a <c>{"class_name", "config"}</c> object describes, called on inputs of
    /// the given per-sample shapes; null when the class has no rule.</summary>
    /// <exception cref="InvalidDataException">A size the rule needs is missing or not an integer.</exception>
    public static IReadOnlyList<long[]>? Of(JsonObject classNameAndConfig, IReadOnlyList<long[]> inputShapes)
    {
        if (classNameAndConfig["class_name"] is not JsonValue name || !name.TryGetValue(out string? className) ||
            !Rules.TryGetValue(className, out var rule) || classNameAndConfig["config"] is not JsonObject config)
        {
            return null;
        }
        return rule(new LayerConfig(className, config), inputShapes[0]);
    }

    /// <summary>Number of values in weights of these shapes; <see cref="long.MaxValue"/> when that overflows.</summary>
    public static long Count(IEnumerable<long[]> shapes)
    {
        long total = 0;
        foreach (var shape in shapes)
        {
            long count = 1;
            foreach (long d in shape)
            {
                if (d < 0 || (d > 0 && count > long.MaxValue / d)) return long.MaxValue;
                count *= d;
            }
            if (count > long.MaxValue - total) return long.MaxValue;
            total += count;
        }
        return total;
    }

    private static IReadOnlyList<long[]> WithBias(LayerConfig c, long[] kernel, long biasSize) =>
        c.Bool("use_bias", true) ? [kernel, [biasSize]] : [kernel];

    // kernel (features, gates·units), recurrent_kernel (units, gates·units), bias (gates·units) or GRU's (2, 3·units).
    private static IReadOnlyList<long[]> Recurrent(LayerConfig c, long[] input, int gates)
    {
        long units = c.Int("units"), width = gates * units;
        var shapes = new List<long[]> { new[] { input[^1], width }, new[] { units, width } };
        if (c.Bool("use_bias", true))
        {
            shapes.Add(gates == 3 && c.Bool("reset_after", true) ? [2, width] : [width]);
        }
        return shapes;
    }

    private static InvalidDataException UnknownInner(LayerConfig c) =>
        new($"The {c.ClassName} config's 'layer' names a class whose weight sizes cannot be checked.");
}
