import { codexConfigToml, defaultGatewayUrl, openAiEnvSnippet } from '@/lib/client-snippets';

describe('client snippets', () => {
  it('writes a Codex config.toml provider pointing at the gateway', () => {
    const toml = codexConfigToml('https://lb.example.com/');
    expect(toml).toContain('model_provider = "codex-lb"');
    expect(toml).toContain('[model_providers.codex-lb]');
    expect(toml).toContain('base_url = "https://lb.example.com/backend-api/codex"');
    expect(toml).toContain('wire_api = "responses"');
    expect(toml).toContain('env_key = "CODEX_LB_API_KEY"');
  });

  it('writes OPENAI_BASE_URL with /v1 and the key', () => {
    expect(openAiEnvSnippet('http://h:2455', 'sk-clb-abc')).toBe(
      'OPENAI_BASE_URL=http://h:2455/v1\nOPENAI_API_KEY=sk-clb-abc',
    );
  });

  it('prefers the public URL, else the API port on the browser host', () => {
    const location = { protocol: 'http:', hostname: 'box.lan' };
    expect(defaultGatewayUrl({ publicUrl: 'https://lb.example.com/', apiPort: '2455' }, location)).toBe(
      'https://lb.example.com',
    );
    expect(defaultGatewayUrl({ publicUrl: null, apiPort: '2455' }, location)).toBe('http://box.lan:2455');
  });
});
