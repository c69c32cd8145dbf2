using Microsoft.ML;

namespace MlNetRnn.MlNet;

/// <summary>Saving and loading ML.NET model files that contain sequence taggers, safely.</summary>
public static class SequenceTaggerModelFile
{
    /// <summary>
    /// Saves <paramref name="model"/> atomically: writes a temporary file in the same directory, flushes it
    /// to disk, then moves it over <paramref name="path"/>. If saving fails, an existing file at
    /// <paramref name="path"/> is left untouched and the temporary file is removed.
    /// </summary>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                mlContext.Model.Save(model, inputSchema, stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Loads a model file with <c>mlContext.Model.Load</c>, then checks every sequence tagger in it by
    /// decoding its network (so a damaged or newer-format payload fails here, not on the first row).
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, not an ML.NET model, or holds a damaged
    /// or newer-format tagger payload.</exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: model file not found", path);
        ITransformer model;
        try
        {
            model = mlContext.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or UnauthorizedAccessException or FileNotFoundException
                                       or DirectoryNotFoundException or OperationCanceledException))
        {
            throw new InvalidDataException($"{path}: not an MlNetRnn model file ({e.GetType().Name}: {e.Message})", e);
        }
        try
        {
            TaggerChain.ResolveNetworks(model);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return model;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
