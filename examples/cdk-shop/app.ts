/** `npx cdk synth` (stage from `-c stage=prod`, default dev; `-c stageFallback=dev` for a personal stage). */
import { App } from 'aws-cdk-lib';
import { shopApp } from './shop.js';

const app = new App();
const fallback = app.node.tryGetContext('stageFallback') as string | undefined;
shopApp(app, {
  stage: (app.node.tryGetContext('stage') as string | undefined) ?? 'dev',
  stageFallback: fallback === undefined ? [] : fallback.split(','),
});
app.synth();
