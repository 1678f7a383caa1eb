// The dashboard's JSON body parser. It reads the body as it streams in and refuses it as soon as
// it is over the API body limit (413) or nests too deep or has too many members (400), so a
// hostile body costs its first few kilobytes, not a full read and parse. What passes is parsed by
// Fastify's own prototype-poisoning-safe JSON parser.
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ApiError } from './api-error';
import { JsonShapeScanner } from './json-shape';

type Done = (error: Error | null, body?: unknown) => void;
type Parser = (request: FastifyRequest, body: Buffer, done: Done) => void;

export function tooLarge(bodyLimit: number): ApiError {
  return new ApiError(413, 'payload_too_large', `The request body is larger than ${Math.floor(bodyLimit / 1024)} KB.`);
}

export function boundedJsonParser(bodyLimit: number, parse: Parser) {
  return (request: FastifyRequest, payload: Readable, done: Done): void => {
    const declared = Number(request.headers['content-length']);
    if (declared > bodyLimit) {
      payload.resume();
      return done(tooLarge(bodyLimit));
    }
    const scanner = new JsonShapeScanner();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle: Done = (error, body) => {
      if (settled) return;
      settled = true;
      // What is left of a refused body is read and dropped by Node once the answer is sent.
      payload.removeListener('data', onData);
      if (error) payload.resume();
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimit) return settle(tooLarge(bodyLimit));
      const problem = scanner.push(chunk);
      if (problem) return settle(ApiError.badRequest(problem));
      chunks.push(chunk);
    };
    payload.on('data', onData);
    payload.on('error', (error) => settle(error));
    payload.on('end', () => {
      if (!settled) parse(request, Buffer.concat(chunks, size), settle);
    });
  };
}
