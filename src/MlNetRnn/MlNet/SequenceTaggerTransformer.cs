using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// A fitted sequence tagger: adds <see cref="SequenceTaggerOptions.PredictedLabelColumnName"/> (vector of
/// text), <see cref="SequenceTaggerOptions.ScoreColumnName"/> (vector of float, one per token) and
/// <see cref="SequenceTaggerOptions.ProbabilitiesColumnName"/> (vector of float, tokens × tags) computed from
/// <see cref="SequenceTaggerOptions.TokensColumnName"/>. The label column is not needed.
/// </summary>
/// <remarks>
/// <para>Persistence uses public ML.NET API only: every member delegates to a chain of stock transformers
/// (CustomMapping emitting a constant key → ValueMapping key → payload text carrying the network →
/// CustomMapping (tokens, payload) → outputs → helper columns dropped). <c>mlContext.Model.Save</c> writes that
/// chain, and <c>mlContext.Model.Load</c> gives it back as a <see cref="TransformerChain{TLastTransformer}"/>
/// (not this class) in any process that can load the MlNetRnn assembly — no registration call is needed.
/// Read what a loaded model holds with <c>mlContext.SequenceTagging().GetModelParameters(loaded)</c>; this
/// class's <see cref="Model"/> gives the same for a freshly fitted tagger.</para>
/// <para><see cref="Transform"/> is lazy and streaming and tags rows in blocks, grouped by length (a loaded chain
/// does the same when read with <see cref="SequenceTaggerModelFile.Load"/>; plain <c>mlContext.Model.Load</c> gives
/// the stock chain, which tags row by row). <c>PredictionEngine</c> always maps row by row. The network is
/// thread-safe: several cursors or <c>PredictionEngine</c>s may run at once.</para>
/// </remarks>
public sealed class SequenceTaggerTransformer : ITransformer
{
    private readonly ITransformer _chain;
    private readonly Func<Microsoft.ML.Transforms.ValueMappingTransformer, SequenceTaggerNetwork> _networkOf;

    internal SequenceTaggerTransformer(MLContext mlContext, SequenceTaggerOptions options, SequenceTaggerNetwork network, IDataView fitInput)
        : this(mlContext, options, network, Guid.NewGuid().ToString("N"), payload: null, fitInput)
    {
    }

    /// <summary>Builds the chain around a network; <paramref name="payload"/> overrides the encoded network
    /// (tests use it to write damaged or future payloads).</summary>
    internal SequenceTaggerTransformer(
        MLContext mlContext, SequenceTaggerOptions options, SequenceTaggerNetwork network, string modelId, string? payload, IDataView fitInput)
    {
        Network = network;
        Model = new SequenceTaggerModelParameters(network);
        ModelId = modelId;
        TagNames = network.TagNames.ToArray();
        TokensColumnName = options.TokensColumnName;
        PredictedLabelColumnName = options.PredictedLabelColumnName;
        ScoreColumnName = options.ScoreColumnName;
        ProbabilitiesColumnName = options.ProbabilitiesColumnName;
        SequenceTaggerMappingFactory.Mapper mapper;
        bool ownPayload = payload is null;
        if (payload is null)
        {
            payload = TaggerPayload.Encode(network, modelId);
            mapper = new SequenceTaggerMappingFactory.Mapper(modelId, network);
        }
        else
        {
            mapper = new SequenceTaggerMappingFactory.Mapper(); // an injected payload is decoded like a loaded one
        }
        _chain = TaggerChain.CreateEstimator(mlContext, options, payload, mapper).Fit(fitInput);
        _networkOf = ownPayload ? _ => network : valueMapping => TaggerChain.Resolve(valueMapping).Network;
    }

    /// <summary>The tag set, in class-index order (the order of the <c>Probabilities</c> column's inner dimension).</summary>
    public IReadOnlyList<string> TagNames { get; }

    /// <summary>The trained network's tag set, vocabulary, hyper-parameters (with the seed used) and architecture.</summary>
    public SequenceTaggerModelParameters Model { get; }

    /// <summary>A unique id of this trained model (stored in the payload; a loaded copy keeps it).</summary>
    public string ModelId { get; }

    /// <summary>Name of the tokens input column.</summary>
    public string TokensColumnName { get; }

    /// <summary>Name of the predicted tags output column.</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>Name of the per-token score output column.</summary>
    public string ScoreColumnName { get; }

    /// <summary>Name of the flattened probabilities output column.</summary>
    public string ProbabilitiesColumnName { get; }

    internal SequenceTaggerNetwork Network { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _chain.GetRowToRowMapper(inputSchema);

    /// <summary>Adds the output columns lazily: nothing is computed until a cursor reads them, and then a block of
    /// rows (64 at first, up to 1,024) is read ahead and tagged together, grouped by length, before its rows are
    /// served in their original order. A cursor that reads no output column does not run the network.</summary>
    public IDataView Transform(IDataView input) => BatchedTagging.Transform(_chain, input, _networkOf);

    /// <summary>Saves the chain of stock transformers that carries this tagger.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _chain.Save(ctx);

    /// <summary>The tag set of the (first) sequence tagger inside <paramref name="model"/>; the same as
    /// <c>mlContext.SequenceTagging().GetModelParameters(model).TagNames</c>.</summary>
    /// <exception cref="ArgumentException">The model holds no MlNetRnn sequence tagger.</exception>
    /// <exception cref="InvalidDataException">The tagger's payload is damaged, foreign or of a newer format.</exception>
    public static IReadOnlyList<string> GetTagNames(ITransformer model) => SequenceTaggingCatalog.FindTagger(model).TagNames;
}
