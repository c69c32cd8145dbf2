using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetRnn.Data;
using MlNetRnn.Onnx;
using MlNetRnn.Onnx.Proto;

namespace MlNetRnn.MlNet;

/// <summary>Saving and loading ML.NET model files that contain sequence taggers, safely.</summary>
public static class SequenceTaggerModelFile
{
    /// <summary>The largest model file <see cref="Load"/> reads: 256 MiB.</summary>
    public const long MaxFileBytes = ModelFileCheck.MaxFileBytes;

    /// <summary>
    /// Saves <paramref name="model"/> atomically (see <see cref="SafeFile.WriteAtomically"/>): an existing file
    /// at <paramref name="path"/> is replaced only by a complete one, and hidden temporary files left by an
    /// earlier save of the same path that was killed are removed.
    /// </summary>
    /// <exception cref="IOException"><paramref name="path"/> is a directory, its directory is missing, or the disk failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrEmpty(path);
        SafeFile.WriteAtomically(path, stream => mlContext.Model.Save(model, inputSchema, stream));
    }

    /// <summary>Checks, before a long training run, that <see cref="Save"/> could write <paramref name="path"/>
    /// (see <see cref="SafeFile.CheckWritable"/>).</summary>
    public static void CheckCanSave(string path) => SafeFile.CheckWritable(path);

    /// <summary>
    /// Loads a model file that holds at least one MlNetRnn sequence tagger. Before ML.NET reads anything, the
    /// file's size, its zip entries (sizes, CRC-32) and the blocks of ML.NET's binary data inside are checked
    /// within fixed bounds; then every tagger's payload is verified (format version, SHA-256 of the network
    /// bytes from format version 2 on, sizes, finite weights, the stored architecture against the vocabularies and
    /// tags) and decoded, so a damaged, crafted or
    /// newer-format file fails here, with a message naming the check, not on the first row.
    /// The chain comes back wrapped so that its <c>Transform</c> tags rows in blocks, grouped by length (plain
    /// <c>mlContext.Model.Load</c> tags row by row); schema, <c>PredictionEngine</c> and saving are the chain's own.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="IOException"><paramref name="path"/> is a directory, or reading failed.</exception>
    /// <exception cref="InvalidDataException">The file is not a zip archive, is damaged, too large, not an
    /// ML.NET model, holds no MlNetRnn tagger, or holds a damaged or newer-format tagger payload.</exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = SafeFile.ReadAllBytes(path, MaxFileBytes, "model file");
        try
        {
            ModelFileCheck.Verify(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not an MlNetRnn model file: {e.Message}", e);
        }
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(new MemoryStream(bytes, writable: false), out inputSchema);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or OperationCanceledException))
        {
            var cause = e;
            while (cause is System.Reflection.TargetInvocationException or AggregateException && cause.InnerException is not null)
                cause = cause.InnerException;
            throw new InvalidDataException($"{path}: not an MlNetRnn model file: ML.NET cannot load it ({cause.GetType().Name}: {Shorten(cause.Message)})", e);
        }
        IReadOnlyList<Models.SequenceTaggerNetwork> networks;
        try
        {
            networks = TaggerChain.ResolveNetworks(model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        if (networks.Count == 0)
            throw new InvalidDataException($"{path}: not an MlNetRnn tagger: an ML.NET model without an MlNetRnn sequence tagger");
        return new BatchedTaggerModel(model);
    }

    /// <summary>The vocabulary of the (first) sequence tagger in <paramref name="model"/> (a trained tagger or a
    /// loaded chain): its tokens as the network stores them, lower-cased when it was trained with
    /// <see cref="Models.SequenceTaggerHyperParameters.Lowercase"/>. To tell known from unknown words, use
    /// <see cref="GetKnownWordTest"/>, which looks tokens up as the network does.</summary>
    /// <exception cref="ArgumentException">The model holds no MlNetRnn sequence tagger.</exception>
    public static Vocabulary GetVocabulary(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var networks = TaggerChain.ResolveNetworks(model);
        if (networks.Count == 0)
            throw new ArgumentException("the model holds no MlNetRnn sequence tagger", nameof(model));
        return networks[0].Vocabulary;
    }

    /// <summary>Whether the (first) sequence tagger in <paramref name="model"/> knows a token: it is in the
    /// vocabulary as the network looks it up (lower-cased when the tagger was trained with
    /// <see cref="Models.SequenceTaggerHyperParameters.Lowercase"/>), e.g. to split accuracy into known and unknown
    /// words (<see cref="Evaluation.KnownWordMetrics"/>).</summary>
    /// <exception cref="ArgumentException">The model holds no MlNetRnn sequence tagger.</exception>
    public static Func<string, bool> GetKnownWordTest(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var networks = TaggerChain.ResolveNetworks(model);
        if (networks.Count == 0)
            throw new ArgumentException("the model holds no MlNetRnn sequence tagger", nameof(model));
        return networks[0].IsKnownWord;
    }

    /// <summary>
    /// Writes the (first) sequence tagger in <paramref name="model"/> (a fitted tagger or pipeline, or a model read
    /// with <see cref="Load"/> or <c>mlContext.Model.Load</c>) as one self-contained ONNX file, atomically (an
    /// existing file is replaced only by a complete one). Strings in, tags out; the contract is that of
    /// <see cref="OnnxExporter.ExportTagger(string, Models.Model, IReadOnlyList{string}, bool, IReadOnlyList{string}, IReadOnlyDictionary{int, int}?, int, int, IReadOnlyDictionary{string, string}?, string)"/>:
    /// inputs <c>tokens</c> string (batch, time) and, for a tagger with character features, <c>chars</c> int64
    /// (batch, time, max chars); outputs <c>tags</c> string (batch, time) and <c>probabilities</c> float (batch, time,
    /// tags). Metadata: <c>mlnetrnn.tags</c>, <c>mlnetrnn.lowercase</c>, <c>mlnetrnn.max_chars</c>,
    /// <c>mlnetrnn.version</c>, <c>mlnetrnn.model_id</c>. Only the tagger is exported: transforms before or after it in
    /// the pipeline are not.
    /// </summary>
    /// <param name="mlContext">The context (reads the tagger's payload out of a loaded model).</param>
    /// <param name="model">A model holding an MlNetRnn sequence tagger.</param>
    /// <param name="onnxPath">The .onnx file to create or replace.</param>
    /// <exception cref="ArgumentException">The model holds no MlNetRnn sequence tagger.</exception>
    /// <exception cref="InvalidDataException">The tagger's payload is damaged or of a newer format.</exception>
    /// <exception cref="IOException"><paramref name="onnxPath"/> is a directory, its directory is missing, or the disk failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory is not writable.</exception>
    public static void ExportOnnx(MLContext mlContext, ITransformer model, string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        var onnx = BuildOnnx(mlContext, model);
        SafeFile.WriteAtomically(onnxPath, stream => OnnxWriter.Write(onnx, stream));
    }

    /// <summary>Like <see cref="ExportOnnx(MLContext, ITransformer, string)"/>, to a stream (left open).</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="model">A model holding an MlNetRnn sequence tagger.</param>
    /// <param name="onnx">Where the file's bytes go; nothing is written when the model is refused.</param>
    public static void ExportOnnx(MLContext mlContext, ITransformer model, Stream onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        OnnxWriter.Write(BuildOnnx(mlContext, model), onnx);
    }

    private static OnnxModel BuildOnnx(MLContext mlContext, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        var taggers = TaggerChain.ResolveTaggers(model);
        if (taggers.Count == 0)
        {
            throw new ArgumentException(
                $"Only an MlNetRnn sequence tagger can be exported to ONNX; the model ({model.GetType().Name}) holds none.", nameof(model));
        }
        return OnnxExporter.BuildTagger(taggers[0].Network, taggers[0].ModelId);
    }

    private static string Shorten(string message)
    {
        message = message.ReplaceLineEndings(" ");
        return message.Length <= 300 ? message : message[..300] + "…";
    }
}
