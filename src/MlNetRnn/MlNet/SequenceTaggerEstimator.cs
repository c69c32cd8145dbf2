using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// Trains a recurrent sequence tagger (word embedding + optional character encoder → recurrent layers → TimeDistributed(Dense softmax); see <see cref="SequenceTaggerHyperParameters"/>) on a tokens
/// column and a per-token label column, giving a <see cref="SequenceTaggerTransformer"/>.
/// </summary>
/// <remarks>
/// <para>Input columns: <see cref="SequenceTaggerOptions.TokensColumnName"/>, a vector of text (usually of
/// variable length); <see cref="SequenceTaggerOptions.LabelColumnName"/>, a vector of text or a vector of key
/// whose key values are text (e.g. from <c>MapValueToKey</c>), one tag per token.</para>
/// <para>Rows whose sentence is empty (no tokens and no tags) are skipped: they carry nothing to learn. A
/// row whose tokens and tags differ in length, or with a missing key (key 0) label, is an error. Data errors
/// raise <see cref="InvalidOperationException"/> naming the column and the 0-based row index; schema errors
/// raise <see cref="ArgumentOutOfRangeException"/> (missing column) or <see cref="ArgumentException"/>
/// (wrong type) naming the column, the expected and the found type.</para>
/// </remarks>
public sealed class SequenceTaggerEstimator : IEstimator<SequenceTaggerTransformer>
{
    /// <summary>The name this trainer registers with the context: the source of its log messages.</summary>
    internal const string RegistrationName = "SequenceTagger";

    private readonly MLContext _mlContext;
    private readonly IHost _host;
    private readonly SequenceTaggerOptions _options;

    /// <summary>Creates the estimator; prefer <c>mlContext.SequenceTagging().Trainers.SimpleRnn(options)</c>.</summary>
    /// <exception cref="ArgumentException">An option is out of range or a column name is empty (see
    /// <see cref="SequenceTaggerOptions.Validate"/>).</exception>
    public SequenceTaggerEstimator(MLContext mlContext, SequenceTaggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _mlContext = mlContext;
        // Like ML.NET's trainers: a host of the context gives the seeded random source and the log channels.
        _host = ((IHostEnvironment)mlContext).Register(RegistrationName);
    }

    /// <summary>The options this estimator trains with (a copy of those given).</summary>
    public SequenceTaggerOptions Options => _options.Clone();

    /// <summary>Checks the input columns and returns the output shape (input columns plus
    /// PredictedTags: vector of text, Score and Probabilities: vectors of float).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckTokensShape(inputSchema, _options.TokensColumnName);
        CheckLabelShape(inputSchema, _options.LabelColumnName);
        // SchemaShape.Column cannot be constructed outside ML.NET: ask the same chain, with a dummy payload.
        var dummy = TaggerChain.CreateEstimator(
            _mlContext, _options, TaggerPayload.Encode(TaggerPayload.FormatVersion, "schema", ""), new SequenceTaggerMappingFactory.Mapper());
        return dummy.GetOutputSchema(inputSchema);
    }

    /// <summary>Reads the training sentences with a cursor, trains the network and returns the transformer.
    /// With <see cref="SequenceTaggerOptions.ValidationFraction"/> above 0, a seeded share of the sentences is
    /// held out as validation data.</summary>
    /// <exception cref="InvalidOperationException">The view has no non-empty sentence (or too few to hold some
    /// out), or a row is invalid (the message names the row).</exception>
    /// <exception cref="TrainingDivergedException">An epoch's loss became NaN or infinite (training stops after that
    /// epoch, even when early stopping kept an earlier one), or the trained weights did: the learning rate is too high.</exception>
    /// <exception cref="OperationCanceledException"><see cref="SequenceTaggerOptions.CancellationToken"/> was cancelled.</exception>
    public SequenceTaggerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Train(input, validation: null);
    }

    /// <summary>
    /// As <see cref="Fit(IDataView)"/>, and also scores <paramref name="validationData"/> (same columns as the
    /// training data) after every epoch, reported as <see cref="EpochReport.DevAccuracy"/> to
    /// <see cref="SequenceTaggerOptions.OnEpoch"/> and the context's log. Validation data only measures (and
    /// picks the epoch kept by early stopping); it never changes the weights.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="SequenceTaggerOptions.ValidationFraction"/> is also set.</exception>
    /// <exception cref="InvalidOperationException">Either view has no non-empty sentence, or a row is invalid
    /// (the message names the row).</exception>
    /// <exception cref="TrainingDivergedException">As for <see cref="Fit(IDataView)"/>.</exception>
    /// <exception cref="OperationCanceledException"><see cref="SequenceTaggerOptions.CancellationToken"/> was cancelled.</exception>
    public SequenceTaggerTransformer Fit(IDataView trainData, IDataView validationData)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        ArgumentNullException.ThrowIfNull(validationData);
        if (_options.ValidationFraction > 0)
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"validation data given while ValidationFraction is {_options.ValidationFraction}; use one or the other"),
                nameof(validationData));
        return Train(trainData, validationData);
    }

    private SequenceTaggerTransformer Train(IDataView input, IDataView? validation)
    {
        _options.CancellationToken.ThrowIfCancellationRequested();
        int seed = _options.Seed ?? _host.Rand.Next();
        var (tokens, tags) = ReadSentences(input, _options.TokensColumnName, _options.LabelColumnName);
        if (tokens.Count == 0)
            throw new InvalidOperationException(
                $"no training sentences: the data has no row with a non-empty '{_options.TokensColumnName}' column");
        List<string[]>? devTokens = null, devTags = null;
        if (validation is not null)
        {
            (devTokens, devTags) = ReadSentences(validation, _options.TokensColumnName, _options.LabelColumnName);
            if (devTokens.Count == 0)
                throw new InvalidOperationException(
                    $"no validation sentences: the validation data has no row with a non-empty '{_options.TokensColumnName}' column");
        }
        else if (_options.ValidationFraction > 0)
        {
            (tokens, tags, devTokens, devTags) = ValidationSplit.Split(tokens, tags, _options.ValidationFraction, seed);
        }

        var hyperParameters = _options.CopyHyperParameters(seed);
        using var progress = new TrainingProgress(_host, hyperParameters, devTokens is not null, _options.OnEpoch, _options.CancellationToken);
        progress.Start(tokens.Count, devTokens?.Count ?? 0);
        // A non-finite loss ends training at once: the weights behind it are NaN or overflowing, no later epoch repairs
        // them, and a model early stopping would fall back on produced that loss itself. Weights are checked at the end
        // too, for an update that broke them after the last loss was measured.
        EpochReport? last = null;
        void OnEpoch(EpochReport report)
        {
            last = report;
            progress.OnEpoch(report);
            if (!double.IsFinite(report.Loss))
                throw new TrainingDivergedException(report.Epoch, report.Loss, hyperParameters.LearningRate);
        }
        var network = SequenceTaggerNetwork.Train(tokens, tags, hyperParameters, devTokens, devTags, OnEpoch, _options.CancellationToken, _options.OnBatch);
        if (last is not null && !HasFiniteWeights(network))
        {
            network.Dispose();
            throw new TrainingDivergedException(last.Epoch, last.Loss, hyperParameters.LearningRate);
        }
        progress.Finish();
        return new SequenceTaggerTransformer(_mlContext, _options, network, input);
    }

    /// <summary>Whether every weight of <paramref name="network"/> is finite. Internal for tests.</summary>
    internal static bool HasFiniteWeights(SequenceTaggerNetwork network)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        return network.Model.NamedWeights.All(w => w.Weight.Variable.isfinite().all().item<bool>());
    }

    private static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}";
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => item,
            SchemaShape.Column.VectorKind.Vector => $"Vector<{item}> (known size)",
            _ => $"Vector<{item}>",
        };
    }

    private static SchemaShape.Column FindShape(SchemaShape schema, string name, string role)
    {
        foreach (var column in schema)
            if (column.Name == name) return column;
        throw new ArgumentOutOfRangeException(nameof(schema),
            $"{role} column '{name}' not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))})");
    }

    private static void CheckTokensShape(SchemaShape schema, string name)
    {
        var column = FindShape(schema, name, "tokens");
        if (column.Kind == SchemaShape.Column.VectorKind.Scalar || column.IsKey || column.ItemType is not TextDataViewType)
            throw new ArgumentException(
                $"tokens column '{name}': expected Vector<String> (vector of text), found {Describe(column)}", nameof(schema));
    }

    private static void CheckLabelShape(SchemaShape schema, string name)
    {
        var column = FindShape(schema, name, "label");
        bool ok = column.Kind != SchemaShape.Column.VectorKind.Scalar
                  && (column.IsKey ? HasTextKeyValues(column) : column.ItemType is TextDataViewType);
        if (!ok)
            throw new ArgumentException(
                $"label column '{name}': expected Vector<String> or Vector<Key> with text key values, found {Describe(column)}"
                + (column.IsKey && !HasTextKeyValues(column) ? " without text key values" : ""), nameof(schema));
    }

    private static bool HasTextKeyValues(SchemaShape.Column column)
    {
        foreach (var annotation in column.Annotations)
            if (annotation.Name == TagVectorColumn.KeyValuesKind)
                return annotation.ItemType is TextDataViewType;
        return false;
    }

    /// <summary>Reads (tokens, tags) sentences; skips empty sentences. Internal for tests.</summary>
    internal static (List<string[]> Tokens, List<string[]> Tags) ReadSentences(IDataView data, string tokensName, string labelName)
    {
        var tokensColumn = TagVectorColumn.Find(data.Schema, tokensName, "tokens");
        var label = TagVectorColumn.Open(data.Schema, labelName, "label");
        if (tokensColumn.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentException(
                $"tokens column '{tokensName}': expected Vector<String> (vector of text), found {TagVectorColumn.Describe(tokensColumn.Type)}", nameof(data));

        var tokensList = new List<string[]>();
        var tagsList = new List<string[]>();
        using var cursor = data.GetRowCursor([tokensColumn, label.Column]);
        var tokensGetter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(tokensColumn);
        var labelReader = label.CreateReader(cursor);
        VBuffer<ReadOnlyMemory<char>> tokenBuffer = default;
        long row = -1;
        while (DataErrors.MoveNext(cursor))
        {
            row++;
            tokensGetter(ref tokenBuffer);
            var tokens = tokenBuffer.DenseValues().Select(t => t.ToString()).ToArray();
            var tags = labelReader(row);
            if (tokens.Length != tags.Length)
                throw new InvalidOperationException(
                    $"row {row}: tokens column '{tokensName}' has {tokens.Length} tokens but label column '{labelName}' has {tags.Length} tags");
            if (tokens.Length == 0) continue; // empty sentence: nothing to learn, skipped (documented)
            tokensList.Add(tokens);
            tagsList.Add(tags);
        }
        return (tokensList, tagsList);
    }
}
