namespace MlNetRnn.Onnx;

/// <summary>A tensor in the ONNX graph as the exporter tracks it: its value name, its per-sample shape (the Keras
/// shape without the batch axis, −1 for sizes known only at run time) and the Keras mask that follows it.</summary>
internal sealed record OnnxValue(string Name, long[] Shape, OnnxMask? Mask)
{
    /// <summary>Rank with the batch axis.</summary>
    public int Rank => Shape.Length + 1;
}

/// <summary>A boolean mask value, true at real steps; <see cref="Rank"/> counts the batch axis: 2 for
/// (batch, time), 3 for (batch, time, chars).</summary>
internal sealed record OnnxMask(string Name, int Rank);
