namespace MlNetRnn.Models.Serialization;

/// <summary>Writes a file all at once or not at all: into a temporary file in the same folder, flushed to disk, then
/// renamed over the target. A failure leaves the previous file untouched and removes the temporary one.</summary>
/// <remarks>Kept small and private to model files; the ML.NET model files have a helper of their own to unify with.</remarks>
internal static class AtomicFile
{
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <param name="write">Writes the content to the stream it is given.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names no file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target);
        var name = Path.GetFileName(target);
        if (folder is null || name.Length == 0)
        {
            throw new ArgumentException($"Expected the path of a file; received '{path}'.", nameof(path));
        }
        // Same folder, so the rename stays on one volume and is atomic.
        var temporary = Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
    }
}
