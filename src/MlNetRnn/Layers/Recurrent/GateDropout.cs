using static TorchSharp.torch;

namespace MlNetRnn.Layers;

/// <summary>Dropout masks for one call, drawn once and used at every step: each (gates, batch, size), or null.</summary>
/// <param name="Input">Multiplies x_t for each gate's projection.</param>
/// <param name="Recurrent">Multiplies h_{t−1} for each gate's projection.</param>
internal sealed record GateDropout(Tensor? Input, Tensor? Recurrent);
