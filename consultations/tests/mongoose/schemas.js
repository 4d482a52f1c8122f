// The Node.js backend's Mongoose models as they are today (generation 3; see
// ../shared/legacy/SCHEMA_HISTORY.md and the public repository rajaSmartLifeHealth/Scribe-Project,
// backend/models/): the same paths, types, options and model names, so validateSync() here
// accepts exactly what the Node.js app would save. Models are registered on a private
// Mongoose instance; nothing connects to a server.
"use strict";

const { Schema } = require("mongoose");
const { ObjectId } = Schema.Types;

function define(mongoose) {
  const users = new Schema({
    username: { type: String, required: true, trim: true },
    email: { type: String, required: true, unique: true, lowercase: true },
    password: { type: String, required: true },
    role: { type: String, enum: ["patient", "clinician"], required: true },
    prompts: [{ type: ObjectId, ref: "prompts" }],
    notes: [{ type: ObjectId, ref: "notes" }],
    transcripts: [{ type: ObjectId, ref: "transcripts" }],
    createdAt: { type: Date, default: Date.now },
  });

  const blacktokens = new Schema({ blackToken: { type: String, required: true } }, { versionKey: false });

  const transcripts = new Schema({
    clinician: { type: ObjectId, ref: "users", required: true },
    consultation: { type: ObjectId, ref: "consultations", required: true },
    transcript_text: { type: String },
    summary: { type: Object },
    prompt_used: { type: ObjectId, ref: "prompts" },
    created_at: { type: Date, default: Date.now },
    updated_at: { type: Date },
  });

  const consultations = new Schema({
    clinician: { type: ObjectId, ref: "users", required: true },
    patient: { type: Object },
    transcript: { type: ObjectId, ref: "transcripts" },
    notes: [{ type: ObjectId, ref: "notes" }],
    started_at: { type: Date, default: Date.now },
    ended_at: { type: Date },
    status: { type: String, enum: ["active", "ended"], default: "active" },
  });

  const notes = new Schema(
    {
      clinician: { type: ObjectId, ref: "users", required: true },
      transcript: { type: ObjectId, ref: "transcripts", required: true },
      consultation: { type: ObjectId, ref: "consultations", required: true },
      body: { type: String, required: true, trim: true },
      created_at: { type: Date, default: Date.now },
      updated_at: { type: Date, default: Date.now },
    },
    { versionKey: false },
  );

  const prompts = new Schema({
    prompt_name: { type: String, required: true, trim: true },
    prompt_text: { type: String, required: true, trim: true },
    is_shareable: { type: Boolean, default: false },
    is_deleted: { type: Boolean, default: false },
    clinician: { type: ObjectId, ref: "users", required: true },
    transcript_ids: [{ type: ObjectId, ref: "transcripts" }],
    created_at: { type: Date, default: Date.now },
    updated_at: { type: Date },
  });

  // Model name -> collection, as mongoose.model() pluralises them ("BlackToken" -> blacktokens).
  return {
    users: mongoose.model("users", users),
    blacktokens: mongoose.model("BlackToken", blacktokens),
    transcripts: mongoose.model("transcripts", transcripts),
    consultations: mongoose.model("consultations", consultations),
    notes: mongoose.model("notes", notes),
    prompts: mongoose.model("prompts", prompts),
  };
}

module.exports = { define };
