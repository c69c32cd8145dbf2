using MlNetRnn.Models.Serialization;

namespace MlNetRnn.Models;

// Architecture as JSON, and model files (config + weights): the logic lives in Models/Serialization.
public partial class Model
{
    /// <summary>The architecture as JSON, as Keras 3's <c>model.to_json()</c>: <c>{"class_name": "Functional" |
    /// "Sequential", "config": {"name", "dtype", "layers", …}}</c>, each layer with its Keras config and, in a
    /// functional model, the calls it makes. No weights. See docs/model-file-format.md.</summary>
    /// <exception cref="InvalidOperationException">A Sequential model that is not built yet.</exception>
    public string ToJson() => ModelConfig.ToJson(this);

    /// <summary>Rebuilds the model <see cref="ToJson"/> describes (Keras <c>model_from_json</c>): the same layers,
    /// names, graph and order of weights, with fresh weights (set them with <see cref="SetWeights"/>).</summary>
    /// <param name="json">The config text.</param>
    /// <param name="seed">The new model's seed for initial weights, dropout and shuffling. Default: the global generator.</param>
    /// <returns>A <see cref="Sequential"/> for a Sequential config, otherwise a functional <see cref="Model"/>.</returns>
    /// <exception cref="InvalidDataException">The config is malformed, names an unknown layer class, or its layers do
    /// not fit together; the message says which.</exception>
    public static Model FromJson(string json, int? seed = null) => ModelConfig.FromJson(json, seed);

    /// <summary>Writes one file holding the architecture and the weights (format in docs/model-file-format.md). The
    /// write is atomic: a failure leaves any previous file at <paramref name="path"/> as it was.</summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <exception cref="InvalidOperationException">The model is not built, or a weight is not finite.</exception>
    public void Save(string path) => ModelFileWriter.Save(this, path);

    /// <summary>Writes what <see cref="Save(string)"/> writes to a stream, from its current position.</summary>
    /// <exception cref="InvalidOperationException">The model is not built, or a weight is not finite.</exception>
    public void Save(Stream stream) => ModelFileWriter.Write(this, stream);

    /// <summary>Reads a model <see cref="Save(string)"/> wrote: architecture and weights, every size checked against
    /// the file before anything is allocated.</summary>
    /// <param name="path">The model file.</param>
    /// <param name="seed">The loaded model's seed for dropout and shuffling if it is trained further. Default: the global generator.</param>
    /// <exception cref="InvalidDataException">The file is not a model file, is of a newer format, truncated, corrupt
    /// or inconsistent; the message names the check that failed.</exception>
    public static Model Load(string path, int? seed = null) => ModelFileReader.Load(path, seed);

    /// <summary>Reads a model from a stream, from its current position to its end (see <see cref="Load(string, int?)"/>).</summary>
    /// <exception cref="InvalidDataException">As for <see cref="Load(string, int?)"/>.</exception>
    public static Model Load(Stream stream, int? seed = null) => ModelFileReader.Load(stream, seed);

    /// <summary>The functional graph; null before the model is built.</summary>
    internal FunctionalGraph? Graph => _graph;

    /// <summary>Builds a model declared without an input shape for per-sample inputs of <paramref name="sampleShape"/>.</summary>
    internal void BuildForShape(long[] sampleShape) => BuildFrom(sampleShape);
}
